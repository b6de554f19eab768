//! Versioned schema migrations, applied in order at open; `PRAGMA user_version` holds the
//! version reached. Append only: a released migration is never edited.

use rusqlite::Connection;

use crate::Error;

pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: call records and notifications.
    "CREATE TABLE calls (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        from_number TEXT NOT NULL,
        to_number TEXT NOT NULL,
        status TEXT NOT NULL,
        direction TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        start_time INTEGER,
        end_time INTEGER,
        duration INTEGER
    );
    CREATE INDEX calls_by_account ON calls (account_sid, date_created DESC);
    CREATE TABLE notifications (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        call_sid TEXT,
        error_code INTEGER NOT NULL,
        log INTEGER NOT NULL,
        message_text TEXT NOT NULL,
        request_url TEXT,
        date_created INTEGER NOT NULL
    );
    CREATE INDEX notifications_by_account ON notifications (account_sid, date_created DESC);",
    // 2: accounts, incoming numbers, applications; call links; indexes shaped for keyset
    // pages (`account_sid = ? [AND filter = ?] AND (date_created, sid) < (?, ?) ORDER BY
    // date_created DESC, sid DESC`), so every filtered page is one index range scan with
    // no sort, however many calls an account has.
    "CREATE TABLE accounts (
        sid TEXT PRIMARY KEY,
        owner_account_sid TEXT,
        friendly_name TEXT NOT NULL,
        status TEXT NOT NULL,
        auth_token TEXT NOT NULL,
        secondary_auth_token TEXT,
        signing_key TEXT,
        calls_per_second REAL NOT NULL,
        max_concurrent_calls INTEGER NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX accounts_by_owner ON accounts (owner_account_sid, date_created, sid);
    CREATE TABLE phone_numbers (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        phone_number TEXT NOT NULL UNIQUE,
        friendly_name TEXT NOT NULL,
        voice_url TEXT,
        voice_method TEXT NOT NULL,
        voice_fallback_url TEXT,
        voice_fallback_method TEXT NOT NULL,
        status_callback TEXT,
        status_callback_method TEXT NOT NULL,
        status_callback_event TEXT NOT NULL,
        voice_application_sid TEXT,
        voice_wasm_app TEXT,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX phone_numbers_by_account
        ON phone_numbers (account_sid, date_created DESC, sid DESC);
    CREATE TABLE applications (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        friendly_name TEXT NOT NULL,
        voice_url TEXT,
        voice_method TEXT NOT NULL,
        voice_fallback_url TEXT,
        voice_fallback_method TEXT NOT NULL,
        status_callback TEXT,
        status_callback_method TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX applications_by_account
        ON applications (account_sid, date_created DESC, sid DESC);
    ALTER TABLE calls ADD COLUMN date_updated INTEGER NOT NULL DEFAULT 0;
    UPDATE calls SET date_updated = COALESCE(end_time, start_time, date_created);
    ALTER TABLE calls ADD COLUMN parent_call_sid TEXT;
    ALTER TABLE calls ADD COLUMN phone_number_sid TEXT;
    DROP INDEX calls_by_account;
    CREATE INDEX calls_by_account ON calls (account_sid, date_created DESC, sid DESC);
    CREATE INDEX calls_by_to ON calls (account_sid, to_number, date_created DESC, sid DESC);
    CREATE INDEX calls_by_from ON calls (account_sid, from_number, date_created DESC, sid DESC);
    CREATE INDEX calls_by_status ON calls (account_sid, status, date_created DESC, sid DESC);
    CREATE INDEX calls_by_start ON calls (account_sid, start_time);
    -- Start-up looks for calls a dead process left live; there are few, so a partial index
    -- keeps that query from scanning every call ever made.
    CREATE INDEX calls_live ON calls (status)
        WHERE status IN ('queued', 'ringing', 'in-progress');
    DROP INDEX notifications_by_account;
    CREATE INDEX notifications_by_account
        ON notifications (account_sid, date_created DESC, sid DESC);",
    // 3: tenant Wasm apps (every version kept: calls in progress keep theirs) and the
    // per-conversation session state they read and write.
    "CREATE TABLE wasm_apps (
        account_sid TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        memory_limit INTEGER NOT NULL,
        cpu_ms INTEGER NOT NULL,
        http_allow TEXT NOT NULL,
        bytes BLOB NOT NULL,
        date_created INTEGER NOT NULL,
        PRIMARY KEY (account_sid, name, version)
    );
    CREATE TABLE session_values (
        account_sid TEXT NOT NULL,
        from_number TEXT NOT NULL,
        to_number TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        date_updated INTEGER NOT NULL,
        PRIMARY KEY (account_sid, from_number, to_number, key)
    );",
    // 4: event subscriptions (the event router's control channel), and whether a Wasm
    // app is a call handler or an event filter.
    "CREATE TABLE subscriptions (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        types TEXT NOT NULL,
        filters TEXT NOT NULL,
        wasm_filter TEXT,
        sink_url TEXT,
        expires_at INTEGER,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX subscriptions_by_account ON subscriptions (account_sid, date_created, sid);
    ALTER TABLE wasm_apps ADD COLUMN kind TEXT NOT NULL DEFAULT 'call-handler';",
    // 5: the legs a call's <Dial> placed are listed by their parent (`ParentCallSid`).
    "CREATE INDEX calls_by_parent
        ON calls (account_sid, parent_call_sid, date_created DESC, sid DESC);",
    // 6: a number's transcoder app (`VoiceTranscoder=app:NAME`), by name.
    "ALTER TABLE phone_numbers ADD COLUMN voice_transcoder TEXT;",
    // 7: recordings (the metadata; the media is a file beside the database), listed by
    // account, call or conference like calls are; start-up finds the ones a dead
    // process was still writing through a partial index.
    "CREATE TABLE recordings (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        call_sid TEXT,
        conference_sid TEXT,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        channels INTEGER NOT NULL,
        track TEXT NOT NULL,
        duration INTEGER,
        start_time INTEGER NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL,
        error_code INTEGER
    );
    CREATE INDEX recordings_by_account
        ON recordings (account_sid, date_created DESC, sid DESC);
    CREATE INDEX recordings_by_call
        ON recordings (account_sid, call_sid, date_created DESC, sid DESC);
    CREATE INDEX recordings_by_conference
        ON recordings (account_sid, conference_sid, date_created DESC, sid DESC);
    CREATE INDEX recordings_live ON recordings (status)
        WHERE status IN ('in-progress', 'paused', 'stopped', 'processing');",
    // 8: SIP domains, credential lists and IP access control lists with the domain
    // mappings between them (deleting a list or a domain deletes its mappings), and API
    // keys.
    "CREATE TABLE sip_domains (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        domain_name TEXT NOT NULL UNIQUE,
        friendly_name TEXT NOT NULL,
        voice_url TEXT,
        voice_method TEXT NOT NULL,
        voice_fallback_url TEXT,
        voice_fallback_method TEXT NOT NULL,
        voice_status_callback_url TEXT,
        voice_status_callback_method TEXT NOT NULL,
        sip_registration INTEGER NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX sip_domains_by_account ON sip_domains (account_sid, date_created, sid);
    CREATE TABLE sip_credential_lists (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        friendly_name TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX sip_credential_lists_by_account
        ON sip_credential_lists (account_sid, date_created, sid);
    CREATE TABLE sip_credentials (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        credential_list_sid TEXT NOT NULL
            REFERENCES sip_credential_lists (sid) ON DELETE CASCADE,
        username TEXT NOT NULL,
        realm TEXT NOT NULL,
        ha1_md5 TEXT NOT NULL,
        ha1_sha256 TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL,
        UNIQUE (credential_list_sid, username)
    );
    CREATE INDEX sip_credentials_by_list
        ON sip_credentials (credential_list_sid, date_created, sid);
    CREATE TABLE sip_ip_access_control_lists (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        friendly_name TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX sip_ip_acls_by_account
        ON sip_ip_access_control_lists (account_sid, date_created, sid);
    CREATE TABLE sip_ip_addresses (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        ip_access_control_list_sid TEXT NOT NULL
            REFERENCES sip_ip_access_control_lists (sid) ON DELETE CASCADE,
        friendly_name TEXT NOT NULL,
        ip_address TEXT NOT NULL,
        cidr_prefix_length INTEGER NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX sip_ip_addresses_by_list
        ON sip_ip_addresses (ip_access_control_list_sid, date_created, sid);
    CREATE TABLE sip_domain_mappings (
        account_sid TEXT NOT NULL,
        domain_sid TEXT NOT NULL REFERENCES sip_domains (sid) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        -- The mapped list's sid (Twilio gives a mapping the sid of its list).
        sid TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        PRIMARY KEY (domain_sid, kind, sid)
    );
    CREATE INDEX sip_domain_mappings_by_list ON sip_domain_mappings (sid);
    CREATE TABLE api_keys (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        friendly_name TEXT NOT NULL,
        secret TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL
    );
    CREATE INDEX api_keys_by_account ON api_keys (account_sid, date_created, sid);",
    // 9: the registrar's contact bindings, one row per contact of an identity.
    "CREATE TABLE sip_bindings (
        account_sid TEXT NOT NULL,
        identity TEXT NOT NULL,
        contact TEXT NOT NULL,
        source TEXT NOT NULL,
        transport TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        call_id TEXT NOT NULL,
        cseq INTEGER NOT NULL,
        path TEXT NOT NULL,
        user_agent TEXT,
        PRIMARY KEY (account_sid, identity, contact)
    );",
    // 10: each call's module spans and their meters (Usage records are sums over them).
    "CREATE TABLE call_modules (
        call_sid TEXT NOT NULL,
        seq INTEGER NOT NULL,
        account_sid TEXT NOT NULL,
        module TEXT NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER,
        started INTEGER NOT NULL,
        ended INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        steps INTEGER NOT NULL,
        wasm_cpu_us INTEGER NOT NULL,
        webhook_requests INTEGER NOT NULL,
        webhook_latency_ms INTEGER NOT NULL,
        tts_characters INTEGER NOT NULL,
        media_ms INTEGER NOT NULL,
        bridged_ms INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        PRIMARY KEY (call_sid, seq)
    );
    CREATE INDEX call_modules_by_account ON call_modules (account_sid, started);",
    // 11: the audio each module's span recorded.
    "ALTER TABLE call_modules ADD COLUMN recorded_ms INTEGER NOT NULL DEFAULT 0;",
    // 12: call queues as resources (Twilio's Queue outlives the calls waiting in it).
    "CREATE TABLE queues (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        friendly_name TEXT NOT NULL,
        max_size INTEGER NOT NULL,
        date_created INTEGER NOT NULL,
        date_updated INTEGER NOT NULL,
        UNIQUE (account_sid, friendly_name)
    );",
];

pub(crate) fn apply(conn: &mut Connection) -> Result<(), Error> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(Error::SchemaTooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
