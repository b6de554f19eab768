//! The SIP tables: domains, credential lists and their credentials, IP access control
//! lists and their addresses, the domain mappings, and API keys.

use rusqlite::{params, Connection, OptionalExtension, Row};
use switchyard_types::AccountSid;

use crate::query::{parsed, Listing};
use crate::repository::Page;
use crate::sip_records::{
    ApiKey, CredentialList, DomainMapping, IpAccessControlList, IpAddress, MappingKind,
    SipCredential, SipCredentialHash, SipDomain,
};
use crate::Error;

/// Fail with a conflict when `sid` exists in `table` under another account, so no
/// account can overwrite another's record by reusing its sid.
fn check_owner(
    conn: &Connection,
    table: &str,
    sid: &str,
    account: &str,
    what: &'static str,
) -> Result<(), Error> {
    let owner: Option<String> = conn
        .prepare_cached(&format!("SELECT account_sid FROM {table} WHERE sid = ?1"))?
        .query_row([sid], |r| r.get(0))
        .optional()?;
    if owner.is_some_and(|o| o != account) {
        return Err(Error::Conflict {
            what,
            value: sid.to_owned(),
        });
    }
    Ok(())
}

/// A unique-constraint failure as the conflict it is.
fn unique(e: rusqlite::Error, what: &'static str, value: &str) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            Error::Conflict {
                what,
                value: value.to_owned(),
            }
        }
        e => Error::Sqlite(e),
    }
}

/// Delete the row `sid` of `account` from `table`.
pub(crate) fn delete(
    conn: &Connection,
    table: &str,
    account: AccountSid,
    sid: &str,
) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "DELETE FROM {table} WHERE account_sid = ?1 AND sid = ?2"
        ))?
        .execute(params![account.to_string(), sid])?)
}

/// Delete a credential list or IP access control list with its mappings (its
/// credentials or addresses go by cascade).
pub(crate) fn delete_list(
    conn: &Connection,
    table: &str,
    account: AccountSid,
    sid: &str,
) -> Result<usize, Error> {
    let n = delete(conn, table, account, sid)?;
    if n > 0 {
        conn.prepare_cached("DELETE FROM sip_domain_mappings WHERE sid = ?1")?
            .execute([sid])?;
    }
    Ok(n)
}

pub(crate) mod domains {
    use super::*;

    pub(crate) const SELECT: &str = "SELECT sid, account_sid, domain_name, friendly_name, \
         voice_url, voice_method, voice_fallback_url, voice_fallback_method, \
         voice_status_callback_url, voice_status_callback_method, sip_registration, \
         date_created, date_updated FROM sip_domains";

    /// Insert or update a domain; a domain name is held by one domain of the node.
    pub(crate) fn put(conn: &Connection, d: &SipDomain) -> Result<usize, Error> {
        let (sid, account) = (d.sid.to_string(), d.account_sid.to_string());
        check_owner(conn, "sip_domains", &sid, &account, "sip domain sid")?;
        conn.prepare_cached(
            "INSERT INTO sip_domains (sid, account_sid, domain_name, friendly_name, voice_url, \
             voice_method, voice_fallback_url, voice_fallback_method, \
             voice_status_callback_url, voice_status_callback_method, sip_registration, \
             date_created, date_updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (sid) DO UPDATE SET domain_name = excluded.domain_name, \
             friendly_name = excluded.friendly_name, voice_url = excluded.voice_url, \
             voice_method = excluded.voice_method, \
             voice_fallback_url = excluded.voice_fallback_url, \
             voice_fallback_method = excluded.voice_fallback_method, \
             voice_status_callback_url = excluded.voice_status_callback_url, \
             voice_status_callback_method = excluded.voice_status_callback_method, \
             sip_registration = excluded.sip_registration, \
             date_updated = excluded.date_updated",
        )?
        .execute(params![
            sid,
            account,
            d.domain_name,
            d.friendly_name,
            d.voice_url,
            d.voice_method,
            d.voice_fallback_url,
            d.voice_fallback_method,
            d.voice_status_callback_url,
            d.voice_status_callback_method,
            d.sip_registration,
            d.date_created,
            d.date_updated,
        ])
        .map_err(|e| unique(e, "sip domain name", &d.domain_name))
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<SipDomain> {
        Ok(SipDomain {
            sid: parsed(row, 0)?,
            account_sid: parsed(row, 1)?,
            domain_name: row.get(2)?,
            friendly_name: row.get(3)?,
            voice_url: row.get(4)?,
            voice_method: row.get(5)?,
            voice_fallback_url: row.get(6)?,
            voice_fallback_method: row.get(7)?,
            voice_status_callback_url: row.get(8)?,
            voice_status_callback_method: row.get(9)?,
            sip_registration: row.get(10)?,
            date_created: row.get(11)?,
            date_updated: row.get(12)?,
        })
    }

    pub(crate) fn listing(account: AccountSid, page: &Page) -> Listing {
        Listing::new(SELECT, "account_sid = ?", account.to_string()).oldest_first(page)
    }
}

/// Credential lists and IP access control lists share one shape: a named list.
pub(crate) mod lists {
    use super::*;

    pub(crate) const CREDENTIAL_LISTS: &str = "sip_credential_lists";
    pub(crate) const IP_ACLS: &str = "sip_ip_access_control_lists";

    pub(crate) fn select(table: &str) -> String {
        format!("SELECT sid, account_sid, friendly_name, date_created, date_updated FROM {table}")
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn put(
        conn: &Connection,
        table: &str,
        what: &'static str,
        sid: &str,
        account: &str,
        friendly_name: &str,
        date_created: i64,
        date_updated: i64,
    ) -> Result<usize, Error> {
        check_owner(conn, table, sid, account, what)?;
        Ok(conn
            .prepare_cached(&format!(
                "INSERT INTO {table} (sid, account_sid, friendly_name, date_created, \
                 date_updated) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (sid) DO UPDATE SET friendly_name = excluded.friendly_name, \
                 date_updated = excluded.date_updated"
            ))?
            .execute(params![
                sid,
                account,
                friendly_name,
                date_created,
                date_updated
            ])?)
    }

    pub(crate) fn credential_list(row: &Row<'_>) -> rusqlite::Result<CredentialList> {
        Ok(CredentialList {
            sid: parsed(row, 0)?,
            account_sid: parsed(row, 1)?,
            friendly_name: row.get(2)?,
            date_created: row.get(3)?,
            date_updated: row.get(4)?,
        })
    }

    pub(crate) fn ip_acl(row: &Row<'_>) -> rusqlite::Result<IpAccessControlList> {
        Ok(IpAccessControlList {
            sid: parsed(row, 0)?,
            account_sid: parsed(row, 1)?,
            friendly_name: row.get(2)?,
            date_created: row.get(3)?,
            date_updated: row.get(4)?,
        })
    }

    pub(crate) fn listing(table: &str, account: AccountSid, page: &Page) -> Listing {
        Listing::new(&select(table), "account_sid = ?", account.to_string()).oldest_first(page)
    }
}

pub(crate) mod credentials {
    use super::*;

    pub(crate) const SELECT: &str = "SELECT sid, account_sid, credential_list_sid, username, \
         realm, ha1_md5, ha1_sha256, date_created, date_updated FROM sip_credentials";

    /// Insert or update a credential; a username appears once per list.
    pub(crate) fn put(conn: &Connection, c: &SipCredential) -> Result<usize, Error> {
        let (sid, account) = (c.sid.to_string(), c.account_sid.to_string());
        check_owner(conn, "sip_credentials", &sid, &account, "credential sid")?;
        conn.prepare_cached(
            "INSERT INTO sip_credentials (sid, account_sid, credential_list_sid, username, \
             realm, ha1_md5, ha1_sha256, date_created, date_updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (sid) DO UPDATE SET realm = excluded.realm, \
             ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, \
             date_updated = excluded.date_updated",
        )?
        .execute(params![
            sid,
            account,
            c.credential_list_sid.to_string(),
            c.username,
            c.realm,
            c.ha1_md5,
            c.ha1_sha256,
            c.date_created,
            c.date_updated,
        ])
        .map_err(|e| unique(e, "credential username", &c.username))
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<SipCredential> {
        Ok(SipCredential {
            sid: parsed(row, 0)?,
            account_sid: parsed(row, 1)?,
            credential_list_sid: parsed(row, 2)?,
            username: row.get(3)?,
            realm: row.get(4)?,
            ha1_md5: row.get(5)?,
            ha1_sha256: row.get(6)?,
            date_created: row.get(7)?,
            date_updated: row.get(8)?,
        })
    }

    pub(crate) fn listing(account: AccountSid, list: &str, page: &Page) -> Listing {
        let mut q = Listing::new(SELECT, "account_sid = ?", account.to_string());
        q.and("credential_list_sid = ?", list.to_owned());
        q.oldest_first(page)
    }

    /// The credential `username` of a list mapped to `domain_name` as `kind`. A username
    /// in several mapped lists resolves to the oldest credential, so the answer is stable.
    pub(crate) fn for_domain(
        conn: &Connection,
        domain_name: &str,
        kind: MappingKind,
        username: &str,
    ) -> Result<Option<SipCredentialHash>, Error> {
        Ok(conn
            .prepare_cached(
                "SELECT c.account_sid, c.username, c.realm, c.ha1_md5, c.ha1_sha256 \
                 FROM sip_domains d \
                 JOIN sip_domain_mappings m ON m.domain_sid = d.sid AND m.kind = ?2 \
                 JOIN sip_credentials c ON c.credential_list_sid = m.sid \
                 WHERE d.domain_name = ?1 AND c.username = ?3 \
                 ORDER BY c.date_created, c.sid LIMIT 1",
            )?
            .query_row(params![domain_name, kind.as_str(), username], |r| {
                Ok(SipCredentialHash {
                    account_sid: parsed(r, 0)?,
                    username: r.get(1)?,
                    realm: r.get(2)?,
                    ha1_md5: r.get(3)?,
                    ha1_sha256: r.get(4)?,
                })
            })
            .optional()?)
    }
}

pub(crate) mod addresses {
    use super::*;

    pub(crate) const SELECT: &str = "SELECT sid, account_sid, ip_access_control_list_sid, \
         friendly_name, ip_address, cidr_prefix_length, date_created, date_updated \
         FROM sip_ip_addresses";

    pub(crate) fn put(conn: &Connection, a: &IpAddress) -> Result<usize, Error> {
        let (sid, account) = (a.sid.to_string(), a.account_sid.to_string());
        check_owner(conn, "sip_ip_addresses", &sid, &account, "ip address sid")?;
        Ok(conn
            .prepare_cached(
                "INSERT INTO sip_ip_addresses (sid, account_sid, ip_access_control_list_sid, \
                 friendly_name, ip_address, cidr_prefix_length, date_created, date_updated) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (sid) DO UPDATE SET friendly_name = excluded.friendly_name, \
                 ip_address = excluded.ip_address, \
                 cidr_prefix_length = excluded.cidr_prefix_length, \
                 date_updated = excluded.date_updated",
            )?
            .execute(params![
                sid,
                account,
                a.ip_access_control_list_sid.to_string(),
                a.friendly_name,
                a.ip_address,
                a.cidr_prefix_length,
                a.date_created,
                a.date_updated,
            ])?)
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<IpAddress> {
        Ok(IpAddress {
            sid: parsed(row, 0)?,
            account_sid: parsed(row, 1)?,
            ip_access_control_list_sid: parsed(row, 2)?,
            friendly_name: row.get(3)?,
            ip_address: row.get(4)?,
            cidr_prefix_length: row.get(5)?,
            date_created: row.get(6)?,
            date_updated: row.get(7)?,
        })
    }

    pub(crate) fn listing(account: AccountSid, acl: &str, page: &Page) -> Listing {
        let mut q = Listing::new(SELECT, "account_sid = ?", account.to_string());
        q.and("ip_access_control_list_sid = ?", acl.to_owned());
        q.oldest_first(page)
    }

    /// Every address range of the lists mapped to `domain_name` for calls.
    pub(crate) fn for_domain_calls(
        conn: &Connection,
        domain_name: &str,
    ) -> Result<Vec<IpAddress>, Error> {
        let sql = format!(
            "{} WHERE ip_access_control_list_sid IN (SELECT m.sid FROM sip_domains d \
             JOIN sip_domain_mappings m ON m.domain_sid = d.sid AND m.kind = ?2 \
             WHERE d.domain_name = ?1) ORDER BY date_created, sid",
            SELECT
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![domain_name, MappingKind::CallIpAcls.as_str()],
            from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(crate) mod mappings {
    use super::*;

    pub(crate) const SELECT: &str =
        "SELECT account_sid, domain_sid, kind, sid, date_created FROM sip_domain_mappings";

    /// Map a list to a domain; mapping the same list twice is a conflict.
    pub(crate) fn insert(conn: &Connection, m: &DomainMapping) -> Result<usize, Error> {
        conn.prepare_cached(
            "INSERT INTO sip_domain_mappings (account_sid, domain_sid, kind, sid, \
             date_created) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            m.account_sid.to_string(),
            m.domain_sid.to_string(),
            m.kind.as_str(),
            m.list_sid,
            m.date_created,
        ])
        .map_err(|e| unique(e, "domain mapping", &m.list_sid))
    }

    pub(crate) fn delete(
        conn: &Connection,
        account: AccountSid,
        domain: &str,
        kind: MappingKind,
        list: &str,
    ) -> Result<usize, Error> {
        Ok(conn
            .prepare_cached(
                "DELETE FROM sip_domain_mappings WHERE account_sid = ?1 AND domain_sid = ?2 \
                 AND kind = ?3 AND sid = ?4",
            )?
            .execute(params![account.to_string(), domain, kind.as_str(), list])?)
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<DomainMapping> {
        let kind: String = row.get(2)?;
        Ok(DomainMapping {
            account_sid: parsed(row, 0)?,
            domain_sid: parsed(row, 1)?,
            kind: MappingKind::parse(&kind).ok_or_else(|| crate::query::invalid(2, &kind))?,
            list_sid: row.get(3)?,
            date_created: row.get(4)?,
        })
    }

    /// A domain's mappings of one kind, oldest first, keyset-paged on the list sid.
    pub(crate) fn listing(
        account: AccountSid,
        domain: &str,
        kind: MappingKind,
        page: &Page,
    ) -> Listing {
        let mut q = Listing::new(SELECT, "account_sid = ?", account.to_string());
        q.and("domain_sid = ?", domain.to_owned());
        q.and("kind = ?", kind.as_str().to_owned());
        q.oldest_first(page)
    }
}

pub(crate) mod api_keys {
    use super::*;

    pub(crate) const SELECT: &str =
        "SELECT sid, account_sid, friendly_name, secret, date_created, date_updated FROM api_keys";

    /// Insert a key, or update its friendly name (the secret never changes).
    pub(crate) fn put(conn: &Connection, k: &ApiKey) -> Result<usize, Error> {
        let (sid, account) = (k.sid.to_string(), k.account_sid.to_string());
        check_owner(conn, "api_keys", &sid, &account, "api key sid")?;
        Ok(conn
            .prepare_cached(
                "INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, \
                 date_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (sid) DO UPDATE SET friendly_name = excluded.friendly_name, \
                 date_updated = excluded.date_updated",
            )?
            .execute(params![
                sid,
                account,
                k.friendly_name,
                k.secret,
                k.date_created,
                k.date_updated,
            ])?)
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
        Ok(ApiKey {
            sid: parsed(row, 0)?,
            account_sid: parsed(row, 1)?,
            friendly_name: row.get(2)?,
            secret: row.get(3)?,
            date_created: row.get(4)?,
            date_updated: row.get(5)?,
        })
    }

    pub(crate) fn listing(account: AccountSid, page: &Page) -> Listing {
        Listing::new(SELECT, "account_sid = ?", account.to_string()).oldest_first(page)
    }
}
