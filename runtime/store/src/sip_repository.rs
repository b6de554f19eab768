//! The API's side of the SIP resources and API keys: create, read, update, delete, each
//! record scoped to its account. (The call path's lookups are on [`crate::Repository`].)

use switchyard_types::{
    AccountSid, ApiKeySid, CredentialListSid, CredentialSid, IpAccessControlListSid, IpAddressSid,
    SipDomainSid,
};

use crate::repository::Page;
use crate::sip::{self, addresses, api_keys, credentials, domains, lists, mappings};
use crate::sip_records::{
    ApiKey, CredentialList, DomainMapping, IpAccessControlList, IpAddress, MappingKind,
    SipCredential, SipCredentialHash, SipDomain,
};
use crate::{Error, Store};

/// SIP domains, credential lists, IP access control lists, domain mappings and API keys.
/// Puts insert or update by sid (`Error::Conflict` when the sid is another account's, or a
/// unique value — domain name, username in its list, mapping — is taken); deletes return
/// whether there was a record; listings are oldest first.
pub trait SipResources {
    fn put_sip_domain(&self, domain: &SipDomain) -> Result<(), Error>;
    fn sip_domain(
        &self,
        account: AccountSid,
        sid: SipDomainSid,
    ) -> Result<Option<SipDomain>, Error>;
    fn sip_domains(&self, account: AccountSid, page: &Page) -> Result<Vec<SipDomain>, Error>;
    /// Deletes its mappings too.
    fn delete_sip_domain(&self, account: AccountSid, sid: SipDomainSid) -> Result<bool, Error>;

    fn put_credential_list(&self, list: &CredentialList) -> Result<(), Error>;
    fn credential_list(
        &self,
        account: AccountSid,
        sid: CredentialListSid,
    ) -> Result<Option<CredentialList>, Error>;
    fn credential_lists(
        &self,
        account: AccountSid,
        page: &Page,
    ) -> Result<Vec<CredentialList>, Error>;
    /// Deletes its credentials and mappings too.
    fn delete_credential_list(
        &self,
        account: AccountSid,
        sid: CredentialListSid,
    ) -> Result<bool, Error>;

    /// The username of an existing credential never changes; its hashes do.
    fn put_sip_credential(&self, credential: &SipCredential) -> Result<(), Error>;
    fn sip_credential(
        &self,
        account: AccountSid,
        list: CredentialListSid,
        sid: CredentialSid,
    ) -> Result<Option<SipCredential>, Error>;
    fn sip_credentials(
        &self,
        account: AccountSid,
        list: CredentialListSid,
        page: &Page,
    ) -> Result<Vec<SipCredential>, Error>;
    fn delete_sip_credential(
        &self,
        account: AccountSid,
        list: CredentialListSid,
        sid: CredentialSid,
    ) -> Result<bool, Error>;

    fn put_ip_acl(&self, list: &IpAccessControlList) -> Result<(), Error>;
    fn ip_acl(
        &self,
        account: AccountSid,
        sid: IpAccessControlListSid,
    ) -> Result<Option<IpAccessControlList>, Error>;
    fn ip_acls(&self, account: AccountSid, page: &Page) -> Result<Vec<IpAccessControlList>, Error>;
    /// Deletes its addresses and mappings too.
    fn delete_ip_acl(
        &self,
        account: AccountSid,
        sid: IpAccessControlListSid,
    ) -> Result<bool, Error>;

    fn put_ip_address(&self, address: &IpAddress) -> Result<(), Error>;
    fn ip_address(
        &self,
        account: AccountSid,
        list: IpAccessControlListSid,
        sid: IpAddressSid,
    ) -> Result<Option<IpAddress>, Error>;
    fn ip_addresses(
        &self,
        account: AccountSid,
        list: IpAccessControlListSid,
        page: &Page,
    ) -> Result<Vec<IpAddress>, Error>;
    fn delete_ip_address(
        &self,
        account: AccountSid,
        list: IpAccessControlListSid,
        sid: IpAddressSid,
    ) -> Result<bool, Error>;

    /// Map a list to a domain (`Error::Conflict` if it already is, for that kind).
    fn put_domain_mapping(&self, mapping: &DomainMapping) -> Result<(), Error>;
    fn domain_mapping(
        &self,
        account: AccountSid,
        domain: SipDomainSid,
        kind: MappingKind,
        list_sid: &str,
    ) -> Result<Option<DomainMapping>, Error>;
    fn domain_mappings(
        &self,
        account: AccountSid,
        domain: SipDomainSid,
        kind: MappingKind,
        page: &Page,
    ) -> Result<Vec<DomainMapping>, Error>;
    fn delete_domain_mapping(
        &self,
        account: AccountSid,
        domain: SipDomainSid,
        kind: MappingKind,
        list_sid: &str,
    ) -> Result<bool, Error>;

    /// Insert a key, or update its friendly name (the stored secret is kept).
    fn put_api_key(&self, key: &ApiKey) -> Result<(), Error>;
    fn api_key_of(&self, account: AccountSid, sid: ApiKeySid) -> Result<Option<ApiKey>, Error>;
    fn api_keys(&self, account: AccountSid, page: &Page) -> Result<Vec<ApiKey>, Error>;
    fn delete_api_key(&self, account: AccountSid, sid: ApiKeySid) -> Result<bool, Error>;
}

impl SipResources for Store {
    fn put_sip_domain(&self, domain: &SipDomain) -> Result<(), Error> {
        let d = domain.clone();
        self.write(move |c| domains::put(c, &d)).map(drop)
    }

    fn sip_domain(
        &self,
        account: AccountSid,
        sid: SipDomainSid,
    ) -> Result<Option<SipDomain>, Error> {
        self.one(
            &format!("{} WHERE account_sid = ?1 AND sid = ?2", domains::SELECT),
            &[account.to_string(), sid.to_string()],
            domains::from_row,
        )
    }

    fn sip_domains(&self, account: AccountSid, page: &Page) -> Result<Vec<SipDomain>, Error> {
        let q = domains::listing(account, page);
        self.read(|c| Ok(q.run(c, domains::from_row)?))
    }

    fn delete_sip_domain(&self, account: AccountSid, sid: SipDomainSid) -> Result<bool, Error> {
        let sid = sid.to_string();
        self.write(move |c| sip::delete(c, "sip_domains", account, &sid))
            .map(|n| n > 0)
    }

    fn put_credential_list(&self, list: &CredentialList) -> Result<(), Error> {
        let l = list.clone();
        self.write(move |c| {
            lists::put(
                c,
                lists::CREDENTIAL_LISTS,
                "credential list sid",
                &l.sid.to_string(),
                &l.account_sid.to_string(),
                &l.friendly_name,
                l.date_created,
                l.date_updated,
            )
        })
        .map(drop)
    }

    fn credential_list(
        &self,
        account: AccountSid,
        sid: CredentialListSid,
    ) -> Result<Option<CredentialList>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND sid = ?2",
                lists::select(lists::CREDENTIAL_LISTS)
            ),
            &[account.to_string(), sid.to_string()],
            lists::credential_list,
        )
    }

    fn credential_lists(
        &self,
        account: AccountSid,
        page: &Page,
    ) -> Result<Vec<CredentialList>, Error> {
        let q = lists::listing(lists::CREDENTIAL_LISTS, account, page);
        self.read(|c| Ok(q.run(c, lists::credential_list)?))
    }

    fn delete_credential_list(
        &self,
        account: AccountSid,
        sid: CredentialListSid,
    ) -> Result<bool, Error> {
        let sid = sid.to_string();
        self.write(move |c| sip::delete_list(c, lists::CREDENTIAL_LISTS, account, &sid))
            .map(|n| n > 0)
    }

    fn put_sip_credential(&self, credential: &SipCredential) -> Result<(), Error> {
        let cr = credential.clone();
        self.write(move |c| credentials::put(c, &cr)).map(drop)
    }

    fn sip_credential(
        &self,
        account: AccountSid,
        list: CredentialListSid,
        sid: CredentialSid,
    ) -> Result<Option<SipCredential>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND credential_list_sid = ?2 AND sid = ?3",
                credentials::SELECT
            ),
            &[account.to_string(), list.to_string(), sid.to_string()],
            credentials::from_row,
        )
    }

    fn sip_credentials(
        &self,
        account: AccountSid,
        list: CredentialListSid,
        page: &Page,
    ) -> Result<Vec<SipCredential>, Error> {
        let q = credentials::listing(account, &list.to_string(), page);
        self.read(|c| Ok(q.run(c, credentials::from_row)?))
    }

    fn delete_sip_credential(
        &self,
        account: AccountSid,
        list: CredentialListSid,
        sid: CredentialSid,
    ) -> Result<bool, Error> {
        if self.sip_credential(account, list, sid)?.is_none() {
            return Ok(false);
        }
        let sid = sid.to_string();
        self.write(move |c| sip::delete(c, "sip_credentials", account, &sid))
            .map(|n| n > 0)
    }

    fn put_ip_acl(&self, list: &IpAccessControlList) -> Result<(), Error> {
        let l = list.clone();
        self.write(move |c| {
            lists::put(
                c,
                lists::IP_ACLS,
                "ip access control list sid",
                &l.sid.to_string(),
                &l.account_sid.to_string(),
                &l.friendly_name,
                l.date_created,
                l.date_updated,
            )
        })
        .map(drop)
    }

    fn ip_acl(
        &self,
        account: AccountSid,
        sid: IpAccessControlListSid,
    ) -> Result<Option<IpAccessControlList>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND sid = ?2",
                lists::select(lists::IP_ACLS)
            ),
            &[account.to_string(), sid.to_string()],
            lists::ip_acl,
        )
    }

    fn ip_acls(&self, account: AccountSid, page: &Page) -> Result<Vec<IpAccessControlList>, Error> {
        let q = lists::listing(lists::IP_ACLS, account, page);
        self.read(|c| Ok(q.run(c, lists::ip_acl)?))
    }

    fn delete_ip_acl(
        &self,
        account: AccountSid,
        sid: IpAccessControlListSid,
    ) -> Result<bool, Error> {
        let sid = sid.to_string();
        self.write(move |c| sip::delete_list(c, lists::IP_ACLS, account, &sid))
            .map(|n| n > 0)
    }

    fn put_ip_address(&self, address: &IpAddress) -> Result<(), Error> {
        let a = address.clone();
        self.write(move |c| addresses::put(c, &a)).map(drop)
    }

    fn ip_address(
        &self,
        account: AccountSid,
        list: IpAccessControlListSid,
        sid: IpAddressSid,
    ) -> Result<Option<IpAddress>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND ip_access_control_list_sid = ?2 AND sid = ?3",
                addresses::SELECT
            ),
            &[account.to_string(), list.to_string(), sid.to_string()],
            addresses::from_row,
        )
    }

    fn ip_addresses(
        &self,
        account: AccountSid,
        list: IpAccessControlListSid,
        page: &Page,
    ) -> Result<Vec<IpAddress>, Error> {
        let q = addresses::listing(account, &list.to_string(), page);
        self.read(|c| Ok(q.run(c, addresses::from_row)?))
    }

    fn delete_ip_address(
        &self,
        account: AccountSid,
        list: IpAccessControlListSid,
        sid: IpAddressSid,
    ) -> Result<bool, Error> {
        if self.ip_address(account, list, sid)?.is_none() {
            return Ok(false);
        }
        let sid = sid.to_string();
        self.write(move |c| sip::delete(c, "sip_ip_addresses", account, &sid))
            .map(|n| n > 0)
    }

    fn put_domain_mapping(&self, mapping: &DomainMapping) -> Result<(), Error> {
        let m = mapping.clone();
        self.write(move |c| mappings::insert(c, &m)).map(drop)
    }

    fn domain_mapping(
        &self,
        account: AccountSid,
        domain: SipDomainSid,
        kind: MappingKind,
        list_sid: &str,
    ) -> Result<Option<DomainMapping>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND domain_sid = ?2 AND kind = ?3 AND sid = ?4",
                mappings::SELECT
            ),
            &[
                account.to_string(),
                domain.to_string(),
                kind.as_str().to_owned(),
                list_sid.to_owned(),
            ],
            mappings::from_row,
        )
    }

    fn domain_mappings(
        &self,
        account: AccountSid,
        domain: SipDomainSid,
        kind: MappingKind,
        page: &Page,
    ) -> Result<Vec<DomainMapping>, Error> {
        let q = mappings::listing(account, &domain.to_string(), kind, page);
        self.read(|c| Ok(q.run(c, mappings::from_row)?))
    }

    fn delete_domain_mapping(
        &self,
        account: AccountSid,
        domain: SipDomainSid,
        kind: MappingKind,
        list_sid: &str,
    ) -> Result<bool, Error> {
        let (domain, list) = (domain.to_string(), list_sid.to_owned());
        self.write(move |c| mappings::delete(c, account, &domain, kind, &list))
            .map(|n| n > 0)
    }

    fn put_api_key(&self, key: &ApiKey) -> Result<(), Error> {
        let k = key.clone();
        self.write(move |c| api_keys::put(c, &k)).map(drop)
    }

    fn api_key_of(&self, account: AccountSid, sid: ApiKeySid) -> Result<Option<ApiKey>, Error> {
        self.one(
            &format!("{} WHERE account_sid = ?1 AND sid = ?2", api_keys::SELECT),
            &[account.to_string(), sid.to_string()],
            api_keys::from_row,
        )
    }

    fn api_keys(&self, account: AccountSid, page: &Page) -> Result<Vec<ApiKey>, Error> {
        let q = api_keys::listing(account, page);
        self.read(|c| Ok(q.run(c, api_keys::from_row)?))
    }

    fn delete_api_key(&self, account: AccountSid, sid: ApiKeySid) -> Result<bool, Error> {
        let sid = sid.to_string();
        self.write(move |c| sip::delete(c, "api_keys", account, &sid))
            .map(|n| n > 0)
    }
}

/// The call path's lookups of [`crate::Repository`], implemented here beside the tables.
impl Store {
    pub(crate) fn sip_domain_named(&self, name: &str) -> Result<Option<SipDomain>, Error> {
        self.one(
            &format!("{} WHERE domain_name = ?1", domains::SELECT),
            &[name.to_owned()],
            domains::from_row,
        )
    }

    pub(crate) fn domain_credential(
        &self,
        domain_name: &str,
        kind: MappingKind,
        username: &str,
    ) -> Result<Option<SipCredentialHash>, Error> {
        self.read(|c| credentials::for_domain(c, domain_name, kind, username))
    }

    pub(crate) fn domain_call_addresses(&self, domain_name: &str) -> Result<Vec<IpAddress>, Error> {
        self.read(|c| addresses::for_domain_calls(c, domain_name))
    }

    pub(crate) fn api_key_by_sid(&self, sid: &str) -> Result<Option<ApiKey>, Error> {
        self.one(
            &format!("{} WHERE sid = ?1", api_keys::SELECT),
            &[sid.to_owned()],
            api_keys::from_row,
        )
    }
}
