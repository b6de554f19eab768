use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn facts() -> InviteFacts {
    InviteFacts {
        from_trunk: false,
        from_registered_phone: false,
        domain: None,
        blocked: false,
    }
}

fn domain(source_in_acl: bool, has_credentials: bool, digest: DigestOutcome) -> DomainFacts {
    DomainFacts {
        source_in_acl,
        has_credentials,
        digest,
    }
}

#[test]
fn ranges_match_by_prefix_in_both_families() {
    let lan = IpRange::parse("192.0.2.0/24").unwrap();
    assert!(lan.contains(ip("192.0.2.77")));
    assert!(!lan.contains(ip("192.0.3.1")));
    // A dual-stack socket's mapped form is the same IPv4 source.
    assert!(lan.contains(ip("::ffff:192.0.2.9")));
    assert!(!lan.contains(ip("2001:db8::1")));
    let host = IpRange::parse("198.51.100.7").unwrap();
    assert!(host.contains(ip("198.51.100.7")));
    assert!(!host.contains(ip("198.51.100.8")));
    let v6 = IpRange::parse("2001:db8::/32").unwrap();
    assert!(v6.contains(ip("2001:db8:1::5")));
    assert!(!v6.contains(ip("2001:db9::5")));
    assert!(IpRange::parse("0.0.0.0/0")
        .unwrap()
        .contains(ip("203.0.113.1")));
    assert_eq!(
        IpRange::parse("10.0.0.0/33"),
        Err(IpRangeError::Prefix("33".into(), 32))
    );
    assert!(matches!(
        IpRange::parse("10.0.0/8"),
        Err(IpRangeError::Address(_))
    ));
    assert!(IpRange::new(Ipv4Addr::LOCALHOST.into(), 99).contains(ip("127.0.0.1")));
}

#[test]
fn trunks_policy_admits_trunks_and_registered_phones_only() {
    let p = InboundPolicy::Trunks;
    assert_eq!(
        admit(p, &facts()),
        TrustVerdict::Refuse(Refusal::UntrustedSource)
    );
    let trunk = InviteFacts {
        from_trunk: true,
        ..facts()
    };
    assert_eq!(admit(p, &trunk), TrustVerdict::Admit(Admitted::Trunk));
    let phone = InviteFacts {
        from_registered_phone: true,
        ..facts()
    };
    assert_eq!(
        admit(p, &phone),
        TrustVerdict::Admit(Admitted::RegisteredPhone)
    );
    assert_eq!(
        admit(InboundPolicy::Any, &facts()),
        TrustVerdict::Admit(Admitted::AnySource)
    );
}

#[test]
fn domain_calls_need_its_acl_or_a_verified_digest_whatever_the_policy() {
    for p in [InboundPolicy::Any, InboundPolicy::Trunks] {
        let with = |d: DomainFacts| InviteFacts {
            domain: Some(d),
            // Even a trunk's address must authenticate to reach a domain.
            from_trunk: true,
            ..facts()
        };
        assert_eq!(
            admit(p, &with(domain(true, false, DigestOutcome::Absent))),
            TrustVerdict::Admit(Admitted::DomainAcl)
        );
        assert_eq!(
            admit(p, &with(domain(false, true, DigestOutcome::Absent))),
            TrustVerdict::Challenge { stale: false }
        );
        assert_eq!(
            admit(p, &with(domain(false, true, DigestOutcome::Verified))),
            TrustVerdict::Admit(Admitted::DomainDigest)
        );
        assert_eq!(
            admit(
                p,
                &with(domain(false, true, DigestOutcome::Failed { stale: false }))
            ),
            TrustVerdict::Refuse(Refusal::DigestFailed)
        );
        assert_eq!(
            admit(
                p,
                &with(domain(false, true, DigestOutcome::Failed { stale: true }))
            ),
            TrustVerdict::Challenge { stale: true }
        );
        // Twilio: a domain that maps neither method blocks every request.
        assert_eq!(
            admit(p, &with(domain(false, false, DigestOutcome::Verified))),
            TrustVerdict::Refuse(Refusal::DomainClosed)
        );
    }
}

#[test]
fn a_blocked_source_is_refused_before_anything_else() {
    let blocked = InviteFacts {
        from_trunk: true,
        domain: Some(domain(true, true, DigestOutcome::Verified)),
        blocked: true,
        ..facts()
    };
    for p in [InboundPolicy::Any, InboundPolicy::Trunks] {
        assert_eq!(admit(p, &blocked), TrustVerdict::Refuse(Refusal::Blocked));
    }
}

#[test]
fn twenty_failures_in_a_minute_block_the_source_for_the_configured_time() {
    let config = GuardConfig {
        block_for: Duration::from_secs(300),
        ..GuardConfig::default()
    };
    let mut guard = DigestGuard::new(config);
    let t0 = Instant::now();
    let scanner = ip("203.0.113.9");
    let bystander = ip("203.0.113.10");
    for i in 0..19 {
        let at = t0 + Duration::from_millis(i * 100);
        assert_eq!(guard.failed(scanner, at), None, "failure {i}");
        assert!(!guard.is_blocked(scanner, at));
    }
    let at = t0 + Duration::from_secs(2);
    assert_eq!(
        guard.failed(scanner, at),
        Some(GuardEvent::Blocked {
            source: scanner,
            until: at + Duration::from_secs(300),
        })
    );
    assert!(guard.is_blocked(scanner, at));
    assert!(guard.is_blocked(scanner, at + Duration::from_secs(299)));
    assert!(!guard.is_blocked(bystander, at));
    // Failures while blocked raise no second event.
    assert_eq!(guard.failed(scanner, at + Duration::from_secs(10)), None);
    // The block lapses, and the count starts over.
    let later = at + Duration::from_secs(300);
    assert!(!guard.is_blocked(scanner, later));
    assert_eq!(guard.failed(scanner, later), None);
}

#[test]
fn failures_spread_over_more_than_a_minute_do_not_block() {
    let mut guard = DigestGuard::new(GuardConfig::default());
    let t0 = Instant::now();
    let source = ip("198.51.100.1");
    // One failure every 4 s: never 20 within 60 s.
    for i in 0..100 {
        let at = t0 + Duration::from_secs(i * 4);
        assert_eq!(guard.failed(source, at), None, "failure {i}");
        assert!(!guard.is_blocked(source, at));
    }
}

#[test]
fn the_table_of_sources_is_bounded() {
    let mut guard = DigestGuard::new(GuardConfig {
        max_sources: 3,
        ..GuardConfig::default()
    });
    let t0 = Instant::now();
    for i in 0..10u8 {
        guard.failed(
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, i)),
            t0 + Duration::from_millis(u64::from(i)),
        );
        assert!(guard.tracked_sources() <= 3);
    }
    // The newest sources are the ones kept.
    for _ in 0..19 {
        guard.failed(
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)),
            t0 + Duration::from_secs(1),
        );
    }
    assert!(guard.is_blocked(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)),
        t0 + Duration::from_secs(1)
    ));
}
