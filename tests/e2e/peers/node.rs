//! The Node harness against a stand-in node (`tests/peers/fake_node.py`): the
//! config it writes has the agreed shape, health is awaited, auth is sent, and a
//! node that dies at start-up is reported with its stderr.

use switchyard_e2e::{peer_script, Node, NodeConfig, ACCOUNT_SID, NUMBER};

fn fake(config: NodeConfig, fail: bool) -> NodeConfig {
    let mut config = config;
    config.binary = Some(peer_script("fake_node.py"));
    if fail {
        config.pre_args = vec!["--fail".into()];
    }
    config
}

#[test]
fn node_writes_the_agreed_config_waits_for_health_and_authenticates() {
    let config = fake(NodeConfig::new().with_webhook("http://127.0.0.1:9"), false);
    let mut node = Node::start(config).unwrap();
    assert!(node.is_running().unwrap());
    let calls = node
        .get_json(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"))
        .unwrap();
    let cfg = &calls["config"];
    assert_eq!(
        cfg["sip"]["listen"],
        format!("127.0.0.1:{}", node.sip_port())
    );
    let (min, max) = node.rtp_range();
    assert_eq!(cfg["media"]["rtp_port_min"], min);
    assert_eq!(cfg["media"]["rtp_port_max"], max);
    assert_eq!(cfg["media"]["rtp_ip"], "127.0.0.1");
    assert_eq!(cfg["node"]["data_dir"], node.data_dir().to_str().unwrap());
    assert_eq!(cfg["accounts"][0]["sid"], ACCOUNT_SID);
    let number = &cfg["numbers"][0];
    assert_eq!(number["number"], NUMBER);
    assert_eq!(number["voice_url"], "http://127.0.0.1:9/voice");
    assert_eq!(number["voice_fallback_url"], "http://127.0.0.1:9/fallback");
    assert_eq!(number["status_callback"], "http://127.0.0.1:9/status");
    assert_eq!(number["status_callback_event"].as_array().unwrap().len(), 4);
    assert_eq!(
        node.sip_uri(NUMBER),
        format!("sip:{NUMBER}@127.0.0.1:{}", node.sip_port())
    );
    // Another account's resources are refused: the credentials really are checked.
    let other = node
        .get("/2010-04-01/Accounts/AC00000000000000000000000000000002/Calls.json")
        .unwrap();
    assert_eq!(other.status, 401);
}

#[test]
fn node_that_dies_at_start_is_reported_with_its_stderr() {
    let err = Node::start(fake(NodeConfig::new(), true)).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("exited"), "{text}");
    assert!(text.contains("fake node: refusing to start"), "{text}");
}
