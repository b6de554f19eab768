use super::*;
use crate::digest::{authorization, ha1, Challenge};

const SECRET: [u8; 32] = [7; 32];
const REALM: &str = "acme.sip.example.com";
const URI: &str = "sip:acme.sip.example.com";
const T0: Duration = Duration::from_secs(1_800_000_000);

fn verifier() -> Verifier {
    Verifier::new(SECRET, 41, VerifierConfig::default())
}

fn stored(user: &str, password: &str) -> (String, String) {
    (
        ha1(Algorithm::Md5, user, REALM, password),
        ha1(Algorithm::Sha256, user, REALM, password),
    )
}

/// The challenge for `alg` out of a fresh 401's header values.
fn challenge_for(v: &mut Verifier, alg: Algorithm, now: Duration) -> Challenge {
    v.challenge(REALM, now, false)
        .iter()
        .map(|h| Challenge::parse(h).unwrap())
        .find(|c| c.algorithm == alg)
        .unwrap()
}

fn answer(c: &Challenge, user: &str, password: &str, nc: u32) -> Credentials {
    Credentials::parse(&authorization(
        c, user, password, "REGISTER", URI, "c0ffee", nc,
    ))
    .unwrap()
}

fn check(v: &mut Verifier, creds: &Credentials, now: Duration) -> Result<(), AuthError> {
    let (md5, sha256) = stored("alice", "s3cret");
    let ha1 = (creds.username == "alice").then_some(StoredHa1 {
        md5: &md5,
        sha256: &sha256,
    });
    v.verify(creds, REALM, "REGISTER", URI, ha1, now)
}

#[test]
fn offers_sha256_then_md5_with_one_nonce_and_qop_auth() {
    let mut v = verifier();
    let headers = v.challenge(REALM, T0, false);
    let parsed: Vec<Challenge> = headers
        .iter()
        .map(|h| Challenge::parse(h).unwrap())
        .collect();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].algorithm, Algorithm::Sha256);
    assert_eq!(parsed[1].algorithm, Algorithm::Md5);
    assert_eq!(parsed[0].nonce, parsed[1].nonce);
    assert!(parsed
        .iter()
        .all(|c| c.qop == Some(Qop::Auth) && c.realm == REALM && c.opaque.is_some() && !c.stale));
    // Two challenges in the same second carry different nonces.
    let again = Challenge::parse(&v.challenge(REALM, T0, false)[0]).unwrap();
    assert_ne!(again.nonce, parsed[0].nonce);
}

#[test]
fn right_password_verifies_with_sha256_and_md5() {
    let mut v = verifier();
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let c = challenge_for(&mut v, alg, T0);
        let creds = answer(&c, "alice", "s3cret", 1);
        assert_eq!(check(&mut v, &creds, T0 + Duration::from_secs(2)), Ok(()));
    }
}

#[test]
fn wrong_password_and_unknown_user_fail_alike() {
    let mut v = verifier();
    let c = challenge_for(&mut v, Algorithm::Sha256, T0);
    let wrong = answer(&c, "alice", "guess", 1);
    assert_eq!(check(&mut v, &wrong, T0), Err(AuthError::WrongResponse));
    let unknown = answer(&c, "mallory", "s3cret", 1);
    assert_eq!(check(&mut v, &unknown, T0), Err(AuthError::WrongResponse));
    assert_eq!(AuthError::WrongResponse.status(), 401);
    // A failed attempt does not burn the count: the right answer still passes.
    let right = answer(&c, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &right, T0), Ok(()));
}

#[test]
fn a_replayed_nonce_count_is_refused_and_a_higher_one_accepted() {
    let mut v = verifier();
    let c = challenge_for(&mut v, Algorithm::Md5, T0);
    let first = answer(&c, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &first, T0), Ok(()));
    assert_eq!(check(&mut v, &first, T0), Err(AuthError::Replay(1)));
    let second = answer(&c, "alice", "s3cret", 2);
    assert_eq!(check(&mut v, &second, T0), Ok(()));
    assert_eq!(check(&mut v, &first, T0), Err(AuthError::Replay(1)));
}

#[test]
fn an_expired_nonce_is_stale_and_the_new_challenge_says_so() {
    let mut v = verifier();
    let c = challenge_for(&mut v, Algorithm::Sha256, T0);
    let creds = answer(&c, "alice", "s3cret", 1);
    let late = T0 + VerifierConfig::default().nonce_lifetime;
    let err = check(&mut v, &creds, late).unwrap_err();
    assert_eq!(err, AuthError::StaleNonce);
    assert!(err.is_stale());
    let again = Challenge::parse(&v.challenge(REALM, late, err.is_stale())[0]).unwrap();
    assert!(again.stale);
    // One second before the deadline it was still good.
    let mut v = verifier();
    let c = challenge_for(&mut v, Algorithm::Sha256, T0);
    let creds = answer(&c, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &creds, late - Duration::from_secs(1)), Ok(()));
}

#[test]
fn nonces_survive_a_restart_with_the_same_secret_only() {
    let mut before = verifier();
    let c = challenge_for(&mut before, Algorithm::Sha256, T0);
    let creds = answer(&c, "alice", "s3cret", 1);
    let mut after = verifier();
    assert_eq!(check(&mut after, &creds, T0), Ok(()));
    let mut other = Verifier::new([8; 32], 41, VerifierConfig::default());
    assert_eq!(check(&mut other, &creds, T0), Err(AuthError::ForeignNonce));
}

#[test]
fn forged_or_foreign_realm_nonces_are_refused() {
    let mut v = verifier();
    let c = challenge_for(&mut v, Algorithm::Sha256, T0);
    // Move the issue time forward to extend the nonce's life: the MAC breaks.
    let mut forged = c.clone();
    let later = T0.as_secs() + 10_000;
    forged.nonce = format!("{later:016x}{}", &c.nonce[16..]);
    let creds = answer(&forged, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &creds, T0), Err(AuthError::ForeignNonce));
    // A nonce issued for another realm does not open this one.
    let other = Challenge::parse(&v.challenge("other.example.com", T0, false)[0]).unwrap();
    let mut moved = c.clone();
    moved.nonce = other.nonce;
    let creds = answer(&moved, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &creds, T0), Err(AuthError::ForeignNonce));
    let mut wrong_realm = answer(&c, "alice", "s3cret", 1);
    wrong_realm.realm = "other.example.com".into();
    assert_eq!(check(&mut v, &wrong_realm, T0), Err(AuthError::WrongRealm));
}

#[test]
fn answers_without_qop_wrong_opaque_or_uri_are_refused() {
    let mut v = verifier();
    let c = challenge_for(&mut v, Algorithm::Md5, T0);
    let mut no_qop = c.clone();
    no_qop.qop = None;
    let creds = answer(&no_qop, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &creds, T0), Err(AuthError::QopRequired));
    let mut bad_opaque = c.clone();
    bad_opaque.opaque = Some("00".into());
    let creds = answer(&bad_opaque, "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &creds, T0), Err(AuthError::OpaqueMismatch));
    let creds = answer(&c, "alice", "s3cret", 1);
    let (md5, sha256) = stored("alice", "s3cret");
    let ha1 = Some(StoredHa1 {
        md5: &md5,
        sha256: &sha256,
    });
    let err = v
        .verify(&creds, REALM, "REGISTER", "sip:elsewhere", ha1, T0)
        .unwrap_err();
    assert_eq!(err, AuthError::UriMismatch);
    assert_eq!(err.status(), 400);
}

#[test]
fn parses_credentials_and_names_what_is_missing() {
    let creds = Credentials::parse(
        r#"Digest username="bob", realm="r", nonce="n", uri="sip:r", response="ab", algorithm=SHA-256, cnonce="x", qop=auth, nc=0000000a, opaque="o""#,
    )
    .unwrap();
    assert_eq!(creds.username, "bob");
    assert_eq!(creds.nc, Some(10));
    assert_eq!(creds.algorithm, Algorithm::Sha256);
    assert_eq!(
        Credentials::parse(r#"Digest username="bob", realm="r", nonce="n", uri="sip:r""#),
        Err(AuthError::MissingParam("response"))
    );
    assert!(matches!(
        Credentials::parse("Bearer abc"),
        Err(AuthError::Malformed(DigestError::UnsupportedScheme(_)))
    ));
    assert!(matches!(
        Credentials::parse(r#"Digest username="b", nc=12"#),
        Err(AuthError::Malformed(DigestError::Malformed(_)))
    ));
}

#[test]
fn a_full_table_drops_expired_then_oldest_counts() {
    let config = VerifierConfig {
        nonce_lifetime: Duration::from_secs(30),
        max_tracked_nonces: 2,
    };
    let mut v = Verifier::new(SECRET, 0, config);
    let old = challenge_for(&mut v, Algorithm::Md5, T0);
    assert_eq!(
        check(&mut v, &answer(&old, "alice", "s3cret", 1), T0),
        Ok(())
    );
    let t1 = T0 + Duration::from_secs(20);
    let a = challenge_for(&mut v, Algorithm::Md5, t1);
    let b = challenge_for(&mut v, Algorithm::Md5, t1);
    assert_eq!(check(&mut v, &answer(&a, "alice", "s3cret", 1), t1), Ok(()));
    assert_eq!(v.tracked_nonces(), 2);
    // `old` has expired by t2, so it is the one dropped for `b`.
    let t2 = T0 + Duration::from_secs(31);
    assert_eq!(check(&mut v, &answer(&b, "alice", "s3cret", 1), t2), Ok(()));
    assert_eq!(v.tracked_nonces(), 2);
    assert_eq!(
        check(&mut v, &answer(&a, "alice", "s3cret", 1), t2),
        Err(AuthError::Replay(1))
    );
}

#[test]
fn the_offered_algorithms_can_be_chosen() {
    let mut v = verifier().with_algorithms(&[Algorithm::Md5, Algorithm::Sha256Sess]);
    let offered: Vec<Challenge> = v
        .challenge(REALM, T0, false)
        .iter()
        .map(|h| Challenge::parse(h).unwrap())
        .collect();
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].algorithm, Algorithm::Md5);
    let creds = answer(&offered[0], "alice", "s3cret", 1);
    assert_eq!(check(&mut v, &creds, T0), Ok(()));
}
