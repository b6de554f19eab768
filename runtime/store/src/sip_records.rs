//! Records of Twilio's SIP resources (domains, credential lists, IP access control lists
//! and the mappings between them) and of API keys.
//!
//! Passwords are never stored: a credential keeps its digest HA1 hashes
//! (`H(username:realm:password)`, RFC 7616 §3.4.2), computed once when the password is
//! set. Because HA1 depends on the realm and the password is only known at that moment,
//! the realm is one fixed, node-wide value ([`SIP_REALM`]) rather than each domain's
//! name: a credential list can then be mapped to any number of domains, and mapped later,
//! without the password (Twilio does the same: one realm, `sip.twilio.com`).

use switchyard_types::{
    AccountSid, ApiKeySid, CredentialListSid, CredentialSid, IpAccessControlListSid, IpAddressSid,
    SipDomainSid,
};

/// The digest realm every SIP credential is hashed under and every challenge names.
/// Changing it invalidates every stored hash, so each credential also records the realm
/// it was hashed under ([`SipCredential::realm`]).
pub const SIP_REALM: &str = "sip.switchyard";

/// Twilio's SIP Domain: a host name phones register to and call through, with the voice
/// URLs that decide what their calls do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipDomain {
    pub sid: SipDomainSid,
    pub account_sid: AccountSid,
    /// The host name (unique on the node), e.g. `acme.sip.example.com`.
    pub domain_name: String,
    pub friendly_name: String,
    pub voice_url: Option<String>,
    pub voice_method: String,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: String,
    pub voice_status_callback_url: Option<String>,
    pub voice_status_callback_method: String,
    /// Whether phones may register to the domain.
    pub sip_registration: bool,
    pub date_created: i64,
    pub date_updated: i64,
}

/// A named list of SIP credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialList {
    pub sid: CredentialListSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub date_created: i64,
    pub date_updated: i64,
}

/// One username of a credential list, with its password's digest hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipCredential {
    pub sid: CredentialSid,
    pub account_sid: AccountSid,
    pub credential_list_sid: CredentialListSid,
    /// Unique within its list.
    pub username: String,
    /// The realm the hashes were computed under ([`SIP_REALM`] when written).
    pub realm: String,
    /// Lower-case hex MD5 of `username:realm:password`.
    pub ha1_md5: String,
    /// Lower-case hex SHA-256 of `username:realm:password`.
    pub ha1_sha256: String,
    pub date_created: i64,
    pub date_updated: i64,
}

/// What a digest verifier needs of a credential: the account it belongs to and its HA1
/// hashes under `realm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipCredentialHash {
    pub account_sid: AccountSid,
    pub username: String,
    pub realm: String,
    pub ha1_md5: String,
    pub ha1_sha256: String,
}

/// A named list of address ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAccessControlList {
    pub sid: IpAccessControlListSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub date_created: i64,
    pub date_updated: i64,
}

/// One range (`ip_address/cidr_prefix_length`) of an IP access control list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAddress {
    pub sid: IpAddressSid,
    pub account_sid: AccountSid,
    pub ip_access_control_list_sid: IpAccessControlListSid,
    pub friendly_name: String,
    /// An IPv4 or IPv6 address in text form.
    pub ip_address: String,
    /// 0–32 for IPv4, 0–128 for IPv6 (Twilio's default: 32).
    pub cidr_prefix_length: u8,
    pub date_created: i64,
    pub date_updated: i64,
}

/// Which of a domain's authentication lists a mapping belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappingKind {
    /// `Auth/Registrations/CredentialListMappings`: who may register.
    RegistrationCredentials,
    /// `Auth/Calls/CredentialListMappings` (and the older `CredentialListMappings`):
    /// who may place calls with a digest.
    CallCredentials,
    /// `Auth/Calls/IpAccessControlListMappings` (and the older
    /// `IpAccessControlListMappings`): which addresses may place calls.
    CallIpAcls,
}

impl MappingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationCredentials => "registration-credentials",
            Self::CallCredentials => "call-credentials",
            Self::CallIpAcls => "call-ip-acls",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::RegistrationCredentials,
            Self::CallCredentials,
            Self::CallIpAcls,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A credential list or IP access control list mapped to a domain. `list_sid` is a
/// `CL…` for the credential kinds and an `AL…` for [`MappingKind::CallIpAcls`]; Twilio
/// gives the mapping the sid of the list it maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainMapping {
    pub account_sid: AccountSid,
    pub domain_sid: SipDomainSid,
    pub kind: MappingKind,
    pub list_sid: String,
    pub date_created: i64,
}

/// Twilio's API key: a sid and a secret that sign access tokens (and authenticate API
/// requests as the sid). The secret is kept as is because verifying an HS256 token needs
/// it; the API shows it only in the response that creates the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub sid: ApiKeySid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub secret: String,
    pub date_created: i64,
    pub date_updated: i64,
}
