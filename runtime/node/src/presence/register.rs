//! A REGISTER, from its credentials to its answer: who sent it (a digest user of the
//! Request-URI's SIP domain, or the identity of an access token), then the registrar.

use std::net::SocketAddr;
use std::sync::Arc;

use switchyard_sip::digest::server::{AuthError, Credentials, StoredHa1};
use switchyard_sip::digest::DigestError;
use switchyard_sip::registrar::{Aor, Registrar};
use switchyard_sip::{parse_uri, Request, Response, ServerTxId, Transport};
use switchyard_store::{Repository, SIP_REALM};
use switchyard_tenancy::{TokenError, Unverified};

use super::{record, wall_now};
use crate::shared::Shared;
use crate::sip_io::SipCommand;

/// Answers a REGISTER (runs on the main runtime: it reads the store).
pub(crate) fn register(
    shared: Arc<Shared>,
    tx: ServerTxId,
    request: Request,
    source: SocketAddr,
    transport: Transport,
) {
    let response = answer(&shared, &request, source, transport);
    let _ = shared.sip.send(SipCommand::Respond { tx, response });
}

/// Why a REGISTER was not authenticated.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("no credentials")]
    NoCredentials,
    #[error(transparent)]
    Digest(#[from] AuthError),
    #[error("access token refused: {0}")]
    Token(#[from] TokenError),
    #[error("store: {0}")]
    Store(#[from] switchyard_store::Error),
}

fn answer(
    shared: &Shared,
    request: &Request,
    source: SocketAddr,
    transport: Transport,
) -> Response {
    let now = wall_now();
    // A source blocked for failed digests (INVITEs' or REGISTERs') is refused outright.
    if shared.trust.is_blocked(source.ip()) {
        return plain(request, 403);
    }
    let aor = match authenticate(shared, request) {
        Ok(aor) => aor,
        Err(Refusal::Store(e)) => {
            tracing::warn!(error = %e, "REGISTER not served: store read failed");
            return plain(request, 500);
        }
        Err(Refusal::Token(e)) => {
            tracing::debug!(error = %e, %source, "REGISTER refused");
            shared.trust.register_failed(shared, request, source.ip());
            return bearer_challenge(request);
        }
        Err(Refusal::Digest(e)) if e.status() == 400 => {
            tracing::debug!(error = %e, %source, "REGISTER refused");
            return plain(request, 400);
        }
        Err(e) => {
            let stale = matches!(&e, Refusal::Digest(d) if d.is_stale());
            if !matches!(e, Refusal::NoCredentials) {
                tracing::debug!(error = %e, %source, "REGISTER refused");
            }
            if !stale && !matches!(e, Refusal::NoCredentials) {
                shared.trust.register_failed(shared, request, source.ip());
            }
            return digest_challenge(shared, request, stale);
        }
    };
    let change = {
        let mut registrar = shared.presence.registrar();
        registrar.register(aor, request, source, transport, now)
    };
    match change {
        Ok(change) => {
            record(shared, &change);
            Registrar::ok(request, &change, now)
        }
        Err(e) => {
            tracing::debug!(error = %e, %source, "REGISTER refused");
            e.response(request)
        }
    }
}

/// The address-of-record the request may register, from its `Authorization`.
fn authenticate(shared: &Shared, request: &Request) -> Result<Aor, Refusal> {
    let Some(authorization) = request.headers.get("Authorization") else {
        return Err(Refusal::NoCredentials);
    };
    // RFC 8898 §2: a UA holding an access token "MUST include it in the Authorization
    // header field … using the Bearer scheme".
    if let Some(token) = scheme_value(authorization, "Bearer") {
        return token_aor(shared, token.trim());
    }
    let creds = match Credentials::parse(authorization) {
        Ok(c) => c,
        // RFC 4475 §3.3.8: a REGISTER whose Authorization has an unknown scheme is
        // well-formed; "a registrar or UAS will respond to this request with a 401".
        Err(AuthError::Malformed(DigestError::UnsupportedScheme(_))) => {
            return Err(Refusal::NoCredentials)
        }
        Err(e) => return Err(e.into()),
    };
    // The Request-URI of a REGISTER names the domain (RFC 3261 §10.2: "the
    // Request-URI names the domain of the location service").
    let domain = parse_uri(&request.uri)
        .map(|u| u.host.to_ascii_lowercase())
        .unwrap_or_default();
    let store = shared.store.as_ref();
    // A domain that takes no registrations, an unknown domain and an unknown user all
    // fail like a wrong password, so none of them can be told apart from outside.
    let registering = store
        .sip_domain_by_name(&domain)?
        .filter(|d| d.sip_registration);
    let credential = match &registering {
        Some(_) => store.sip_registration_credential(&domain, &creds.username)?,
        None => None,
    };
    let stored = credential.as_ref().map(|c| StoredHa1 {
        md5: &c.ha1_md5,
        sha256: &c.ha1_sha256,
    });
    shared.presence.verifier().verify(
        &creds,
        SIP_REALM,
        request.method.as_str(),
        &request.uri,
        stored,
        wall_now(),
    )?;
    let account = match (&registering, &credential) {
        (Some(d), Some(_)) => d.account_sid,
        _ => return Err(AuthError::WrongResponse.into()),
    };
    Ok(Aor {
        account: account.to_string(),
        identity: creds.username,
    })
}

fn token_aor(shared: &Shared, token: &str) -> Result<Aor, Refusal> {
    let unverified = Unverified::parse(token)?;
    let key = shared
        .store
        .api_key(unverified.key_sid())?
        .ok_or(TokenError::UnknownKey)?;
    let verified = unverified.verify(
        key.secret.as_bytes(),
        &key.account_sid.to_string(),
        wall_now(),
    )?;
    Ok(Aor {
        account: verified.account_sid,
        identity: verified.identity,
    })
}

/// The credentials after `scheme ` when the header uses that scheme.
fn scheme_value<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let header = header.trim_start();
    let (first, rest) = header.split_once([' ', '\t'])?;
    first.eq_ignore_ascii_case(scheme).then_some(rest)
}

fn plain(request: &Request, status: u16) -> Response {
    let mut r = Response::to_request(request, status, switchyard_sip::default_reason(status));
    switchyard_sip::add_to_tag(&mut r);
    r
}

/// RFC 3261 §22.4: a 401 with one `WWW-Authenticate` per algorithm offered.
fn digest_challenge(shared: &Shared, request: &Request, stale: bool) -> Response {
    let mut r = plain(request, 401);
    for value in shared
        .presence
        .verifier()
        .challenge(SIP_REALM, wall_now(), stale)
    {
        r.headers.push("WWW-Authenticate", value);
    }
    r
}

/// RFC 8898 §2.3 (after RFC 6750 §3.1): a refused token is answered with a Bearer
/// challenge naming the error.
fn bearer_challenge(request: &Request) -> Response {
    let mut r = plain(request, 401);
    r.headers.push(
        "WWW-Authenticate",
        format!("Bearer realm=\"{SIP_REALM}\", error=\"invalid_token\""),
    );
    r
}
