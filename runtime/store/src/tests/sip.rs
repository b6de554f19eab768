use switchyard_types::{
    ApiKeySid, CredentialListSid, CredentialSid, IpAccessControlListSid, IpAddressSid, SipDomainSid,
};

use super::*;

fn domain(account: AccountSid, name: &str, created: i64) -> SipDomain {
    SipDomain {
        sid: SipDomainSid::random(),
        account_sid: account,
        domain_name: name.into(),
        friendly_name: format!("domain {name}"),
        voice_url: Some("http://127.0.0.1:9/domain".into()),
        voice_method: "POST".into(),
        voice_fallback_url: None,
        voice_fallback_method: "POST".into(),
        voice_status_callback_url: Some("http://127.0.0.1:9/status".into()),
        voice_status_callback_method: "GET".into(),
        sip_registration: true,
        date_created: created,
        date_updated: created,
    }
}

fn credential_list(account: AccountSid, created: i64) -> CredentialList {
    CredentialList {
        sid: CredentialListSid::random(),
        account_sid: account,
        friendly_name: format!("list {created}"),
        date_created: created,
        date_updated: created,
    }
}

fn credential(list: &CredentialList, username: &str, created: i64) -> SipCredential {
    SipCredential {
        sid: CredentialSid::random(),
        account_sid: list.account_sid,
        credential_list_sid: list.sid,
        username: username.into(),
        realm: SIP_REALM.into(),
        ha1_md5: format!("md5 of {username} {created}"),
        ha1_sha256: format!("sha256 of {username} {created}"),
        date_created: created,
        date_updated: created,
    }
}

fn acl(account: AccountSid, created: i64) -> IpAccessControlList {
    IpAccessControlList {
        sid: IpAccessControlListSid::random(),
        account_sid: account,
        friendly_name: format!("acl {created}"),
        date_created: created,
        date_updated: created,
    }
}

fn address(list: &IpAccessControlList, ip: &str, prefix: u8, created: i64) -> IpAddress {
    IpAddress {
        sid: IpAddressSid::random(),
        account_sid: list.account_sid,
        ip_access_control_list_sid: list.sid,
        friendly_name: format!("range {ip}/{prefix}"),
        ip_address: ip.into(),
        cidr_prefix_length: prefix,
        date_created: created,
        date_updated: created,
    }
}

fn mapping(d: &SipDomain, kind: MappingKind, list: String, created: i64) -> DomainMapping {
    DomainMapping {
        account_sid: d.account_sid,
        domain_sid: d.sid,
        kind,
        list_sid: list,
        date_created: created,
    }
}

#[test]
fn domains_round_trip_update_isolation_and_unique_names() {
    let (_dir, store) = store();
    let (account, other) = (AccountSid::random(), AccountSid::random());
    let a = domain(account, "a.sip.example.com", 1);
    let b = domain(account, "b.sip.example.com", 2);
    store.put_sip_domain(&a).unwrap();
    store.put_sip_domain(&b).unwrap();
    assert_eq!(store.sip_domain(account, a.sid).unwrap(), Some(a.clone()));
    assert_eq!(store.sip_domain(other, a.sid).unwrap(), None);
    assert_eq!(
        store.sip_domains(account, &page(50)).unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        store.sip_domain_by_name("b.sip.example.com").unwrap(),
        Some(b.clone())
    );
    assert_eq!(store.sip_domain_by_name("c.sip.example.com").unwrap(), None);

    // A name is held by one domain of the node, whichever account asks.
    let taken = domain(other, "a.sip.example.com", 3);
    assert!(matches!(
        store.put_sip_domain(&taken),
        Err(Error::Conflict {
            what: "sip domain name",
            ..
        })
    ));
    let mut hijack = a.clone();
    hijack.account_sid = other;
    assert!(matches!(
        store.put_sip_domain(&hijack),
        Err(Error::Conflict { .. })
    ));

    let mut renamed = a.clone();
    renamed.domain_name = "renamed.sip.example.com".into();
    renamed.sip_registration = false;
    renamed.voice_url = None;
    renamed.date_updated = 9;
    store.put_sip_domain(&renamed).unwrap();
    assert_eq!(store.sip_domain(account, a.sid).unwrap(), Some(renamed));
    assert_eq!(store.sip_domain_by_name("a.sip.example.com").unwrap(), None);

    assert!(!store.delete_sip_domain(other, b.sid).unwrap());
    assert!(store.delete_sip_domain(account, b.sid).unwrap());
    assert_eq!(store.sip_domain(account, b.sid).unwrap(), None);
}

#[test]
fn credentials_are_found_through_the_mapping_of_their_kind_only() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let d = domain(account, "office.sip.example.com", 1);
    store.put_sip_domain(&d).unwrap();
    let phones = credential_list(account, 2);
    let callers = credential_list(account, 3);
    store.put_credential_list(&phones).unwrap();
    store.put_credential_list(&callers).unwrap();
    let alice = credential(&phones, "alice", 4);
    let bob = credential(&callers, "bob", 5);
    store.put_sip_credential(&alice).unwrap();
    store.put_sip_credential(&bob).unwrap();

    // Unmapped: nobody is known to the domain.
    let name = d.domain_name.as_str();
    assert_eq!(
        store.sip_registration_credential(name, "alice").unwrap(),
        None
    );

    store
        .put_domain_mapping(&mapping(
            &d,
            MappingKind::RegistrationCredentials,
            phones.sid.to_string(),
            6,
        ))
        .unwrap();
    store
        .put_domain_mapping(&mapping(
            &d,
            MappingKind::CallCredentials,
            callers.sid.to_string(),
            7,
        ))
        .unwrap();
    let hash = store.sip_registration_credential(name, "alice").unwrap();
    assert_eq!(
        hash,
        Some(SipCredentialHash {
            account_sid: account,
            username: "alice".into(),
            realm: SIP_REALM.into(),
            ha1_md5: alice.ha1_md5.clone(),
            ha1_sha256: alice.ha1_sha256.clone(),
        })
    );
    assert_eq!(store.sip_call_credential(name, "alice").unwrap(), None);
    assert_eq!(
        store.sip_registration_credential(name, "bob").unwrap(),
        None
    );
    assert_eq!(
        store
            .sip_call_credential(name, "bob")
            .unwrap()
            .map(|h| h.ha1_md5),
        Some(bob.ha1_md5.clone())
    );
    assert_eq!(store.sip_call_credential("elsewhere", "bob").unwrap(), None);

    // Mapping twice is a conflict; a listing shows the mapping.
    assert!(matches!(
        store.put_domain_mapping(&mapping(
            &d,
            MappingKind::CallCredentials,
            callers.sid.to_string(),
            8
        )),
        Err(Error::Conflict { .. })
    ));
    assert_eq!(
        store
            .domain_mappings(account, d.sid, MappingKind::CallCredentials, &page(10))
            .unwrap(),
        vec![mapping(
            &d,
            MappingKind::CallCredentials,
            callers.sid.to_string(),
            7
        )]
    );

    // A new password replaces the hashes; the username stays unique in its list.
    let mut changed = alice.clone();
    changed.ha1_md5 = "new md5".into();
    changed.date_updated = 10;
    store.put_sip_credential(&changed).unwrap();
    assert_eq!(
        store
            .sip_credential(account, phones.sid, alice.sid)
            .unwrap(),
        Some(changed.clone())
    );
    assert!(matches!(
        store.put_sip_credential(&credential(&phones, "alice", 11)),
        Err(Error::Conflict {
            what: "credential username",
            ..
        })
    ));
    assert_eq!(
        store
            .sip_credentials(account, phones.sid, &page(10))
            .unwrap(),
        vec![changed]
    );
    // The same username may be in another list.
    store
        .put_sip_credential(&credential(&callers, "alice", 12))
        .unwrap();

    // Unmapping and deleting the list make the credentials unknown to the domain.
    assert!(store
        .delete_domain_mapping(
            account,
            d.sid,
            MappingKind::CallCredentials,
            &callers.sid.to_string()
        )
        .unwrap());
    assert_eq!(store.sip_call_credential(name, "bob").unwrap(), None);
    assert!(store.delete_credential_list(account, phones.sid).unwrap());
    assert_eq!(
        store.sip_registration_credential(name, "alice").unwrap(),
        None
    );
    assert_eq!(
        store
            .sip_credential(account, phones.sid, alice.sid)
            .unwrap(),
        None
    );
    assert!(store
        .domain_mappings(
            account,
            d.sid,
            MappingKind::RegistrationCredentials,
            &page(10)
        )
        .unwrap()
        .is_empty());
}

#[test]
fn ip_addresses_of_lists_mapped_for_calls() {
    let (_dir, store) = store();
    let (account, other) = (AccountSid::random(), AccountSid::random());
    let d = domain(account, "pbx.sip.example.com", 1);
    store.put_sip_domain(&d).unwrap();
    let office = acl(account, 2);
    store.put_ip_acl(&office).unwrap();
    let lan = address(&office, "192.0.2.0", 24, 3);
    let v6 = address(&office, "2001:db8::", 32, 4);
    store.put_ip_address(&lan).unwrap();
    store.put_ip_address(&v6).unwrap();
    assert!(store
        .sip_call_ip_addresses(&d.domain_name)
        .unwrap()
        .is_empty());
    store
        .put_domain_mapping(&mapping(
            &d,
            MappingKind::CallIpAcls,
            office.sid.to_string(),
            5,
        ))
        .unwrap();
    assert_eq!(
        store.sip_call_ip_addresses(&d.domain_name).unwrap(),
        vec![lan.clone(), v6.clone()]
    );
    assert_eq!(store.ip_acl(other, office.sid).unwrap(), None);
    assert_eq!(
        store.ip_addresses(account, office.sid, &page(1)).unwrap(),
        vec![lan.clone()]
    );

    let mut narrowed = lan.clone();
    narrowed.cidr_prefix_length = 32;
    narrowed.ip_address = "192.0.2.7".into();
    store.put_ip_address(&narrowed).unwrap();
    assert_eq!(
        store.ip_address(account, office.sid, lan.sid).unwrap(),
        Some(narrowed)
    );
    assert!(!store
        .delete_ip_address(account, IpAccessControlListSid::random(), v6.sid)
        .unwrap());
    assert!(store
        .delete_ip_address(account, office.sid, v6.sid)
        .unwrap());
    assert!(store.delete_ip_acl(account, office.sid).unwrap());
    assert!(store
        .sip_call_ip_addresses(&d.domain_name)
        .unwrap()
        .is_empty());
    assert_eq!(
        store.ip_address(account, office.sid, lan.sid).unwrap(),
        None
    );
}

#[test]
fn deleting_a_domain_deletes_its_mappings_and_keeps_its_lists() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let d = domain(account, "gone.sip.example.com", 1);
    store.put_sip_domain(&d).unwrap();
    let list = credential_list(account, 2);
    store.put_credential_list(&list).unwrap();
    store
        .put_domain_mapping(&mapping(
            &d,
            MappingKind::RegistrationCredentials,
            list.sid.to_string(),
            3,
        ))
        .unwrap();
    assert!(store.delete_sip_domain(account, d.sid).unwrap());
    assert!(store
        .domain_mappings(
            account,
            d.sid,
            MappingKind::RegistrationCredentials,
            &page(10)
        )
        .unwrap()
        .is_empty());
    assert_eq!(
        store.credential_list(account, list.sid).unwrap(),
        Some(list)
    );
}

#[test]
fn api_keys_keep_their_secret_and_rename() {
    let (_dir, store) = store();
    let (account, other) = (AccountSid::random(), AccountSid::random());
    let key = ApiKey {
        sid: ApiKeySid::random(),
        account_sid: account,
        friendly_name: "softphones".into(),
        secret: "s3cr3t-0123456789abcdef".into(),
        date_created: 1,
        date_updated: 1,
    };
    store.put_api_key(&key).unwrap();
    assert_eq!(
        store.api_key(&key.sid.to_string()).unwrap(),
        Some(key.clone())
    );
    assert_eq!(store.api_key_of(other, key.sid).unwrap(), None);

    // An update renames; the secret is fixed at creation.
    let mut renamed = key.clone();
    renamed.friendly_name = "agents".into();
    renamed.secret = "another".into();
    renamed.date_updated = 2;
    store.put_api_key(&renamed).unwrap();
    let stored = store.api_key_of(account, key.sid).unwrap().unwrap();
    assert_eq!(stored.friendly_name, "agents");
    assert_eq!(stored.secret, key.secret);
    assert_eq!(store.api_keys(account, &page(10)).unwrap(), vec![stored]);

    assert!(!store.delete_api_key(other, key.sid).unwrap());
    assert!(store.delete_api_key(account, key.sid).unwrap());
    assert_eq!(store.api_key(&key.sid.to_string()).unwrap(), None);
}
