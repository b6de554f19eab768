//! What `switchyard up` prints on stdout once every listener is bound: where the node is
//! reached and, for the demo, which number to call and which credentials the REST API
//! takes. Logs go to stderr; this is the one thing on stdout, so scripts can read it.

use crate::config::{Config, DEMO_ACCOUNT, DEMO_AUTH_TOKEN, DEMO_NUMBER};

/// The lines for a node started with `config`; `console` is the demo account's signed
/// console path (`/console/events?stream=…`), when there is a demo.
pub fn text(config: &Config, console: Option<&str>) -> String {
    let sip = config.sip.listen;
    let http = config.http_base_url();
    let mut out = format!(
        "Switchyard {} is up.\n\
         \x20 SIP        {sip} (UDP and TCP)\n\
         \x20 HTTP       {http} (REST API under /2010-04-01 and /v1)\n\
         \x20 Metrics    {http}/metrics (Prometheus)\n",
        env!("CARGO_PKG_VERSION"),
    );
    match console {
        Some(console) => out.push_str(&format!(
            "Demo:\n\
             \x20 Call       sip:{DEMO_NUMBER}@{sip} (e.g. `switchyard dial {DEMO_NUMBER} --to {sip} --digits 1`)\n\
             \x20 Account    {DEMO_ACCOUNT}\n\
             \x20 Token      {DEMO_AUTH_TOKEN}\n\
             \x20 Try        switchyard numbers list --api {http} --account {DEMO_ACCOUNT} --token {DEMO_AUTH_TOKEN}\n\
             \x20 Console    {http}{console} (live events; the link is valid for 24 hours)\n"
        )),
        None => out.push_str(&format!(
            "  Console    {http}/console/events?stream=… (`switchyard events url` prints a link)\n"
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_names_its_number_credentials_and_console() {
        let mut config = Config::demo();
        config.sip.listen = "127.0.0.1:5070".parse().unwrap();
        config.http.listen = "127.0.0.1:8090".parse().unwrap();
        let text = text(&config, Some("/console/events?stream=%2Fv1"));
        assert!(text.contains("SIP        127.0.0.1:5070 (UDP and TCP)"));
        assert!(text.contains("HTTP       http://127.0.0.1:8090 "));
        assert!(text.contains("sip:+15550001111@127.0.0.1:5070"));
        assert!(text.contains(&format!("Account    {DEMO_ACCOUNT}\n")));
        assert!(text.contains("Token      demo-auth-token\n"));
        assert!(text.contains("Console    http://127.0.0.1:8090/console/events?stream=%2Fv1 "));
    }

    #[test]
    fn a_configured_node_prints_no_credentials() {
        let config = Config::parse("").unwrap();
        let text = text(&config, None);
        assert!(text.contains("Metrics    http://127.0.0.1:8080/metrics"));
        assert!(!text.contains("Token"), "{text}");
        assert!(!text.contains(DEMO_ACCOUNT));
    }
}
