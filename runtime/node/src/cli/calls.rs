//! `switchyard calls …` over `…/Calls.json` and `…/Calls/{Sid}.json`.

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};

use super::output::{Kind, Output};
use super::voice::method;
use super::{client::encode_segment, Client, Error};

/// Twilio's call statuses, the values `--status` accepts.
pub const STATUSES: [&str; 8] = [
    "queued",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
];

/// What the call runs: a webhook or inline TwiML, exactly one.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
#[group(required = true, multiple = false)]
pub struct Instructions {
    /// Webhook that returns the TwiML to run (Url).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// TwiML to run instead of fetching a URL (Twiml), e.g. '<Response><Say>Hi</Say></Response>'.
    #[arg(long, value_name = "XML")]
    pub twiml: Option<String>,
}

impl Instructions {
    fn form(&self, out: &mut Vec<(&'static str, String)>) {
        if let Some(u) = &self.url {
            out.push(("Url", u.clone()));
        }
        if let Some(t) = &self.twiml {
            out.push(("Twiml", t.clone()));
        }
    }
}

/// `switchyard calls …`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum CallsCommand {
    /// List calls, newest first.
    List {
        /// Only calls in this status.
        #[arg(long, value_name = "STATUS", value_parser = PossibleValuesParser::new(STATUSES))]
        status: Option<String>,
        /// Only calls to this number, SIP URI or client.
        #[arg(long, value_name = "TO")]
        to: Option<String>,
        /// Only calls from this number or client.
        #[arg(long, value_name = "FROM")]
        from: Option<String>,
        /// At most this many calls (pages are followed until reached).
        #[arg(long, value_name = "N", default_value_t = 50,
              value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Start an outbound call (it is queued, then dialled).
    Create {
        /// Who to call: E.164, sip: URI or client: identifier.
        #[arg(long, value_name = "TO")]
        to: String,
        /// Caller id: E.164 or client: identifier.
        #[arg(long, value_name = "FROM")]
        from: String,
        #[command(flatten)]
        instructions: Instructions,
        /// HTTP method for --url: GET or POST (default POST).
        #[arg(long, value_name = "METHOD", value_parser = method)]
        method: Option<String>,
        /// Seconds to let it ring, 1-600 (default 60).
        #[arg(long, value_name = "SECONDS",
              value_parser = clap::value_parser!(u32).range(1..=600))]
        timeout: Option<u32>,
        /// URL told about the call's status changes (StatusCallback).
        #[arg(long, value_name = "URL")]
        status_callback: Option<String>,
    },
    /// Show one call.
    Get {
        /// The call's SID (CA…).
        #[arg(value_name = "SID")]
        sid: String,
    },
    /// Hang up a call in progress (Status=completed).
    Hangup {
        /// The call's SID (CA…).
        #[arg(value_name = "SID")]
        sid: String,
    },
    /// Cancel a call that is queued or ringing (Status=canceled; no effect once answered).
    Cancel {
        /// The call's SID (CA…).
        #[arg(value_name = "SID")]
        sid: String,
    },
    /// Make a live call run new instructions now.
    Redirect {
        /// The call's SID (CA…).
        #[arg(value_name = "SID")]
        sid: String,
        #[command(flatten)]
        instructions: Instructions,
        /// HTTP method for --url: GET or POST (default POST).
        #[arg(long, value_name = "METHOD", value_parser = method)]
        method: Option<String>,
    },
}

fn instance_path(client: &Client, sid: &str) -> String {
    client.account_path(&format!("Calls/{}.json", encode_segment(sid)))
}

/// The form of `calls create`.
fn create_form(
    to: String,
    from: String,
    instructions: &Instructions,
    method: Option<String>,
    timeout: Option<u32>,
    status_callback: Option<String>,
) -> Vec<(&'static str, String)> {
    let mut form = vec![("To", to), ("From", from)];
    instructions.form(&mut form);
    let optional = [
        ("Method", method),
        ("Timeout", timeout.map(|t| t.to_string())),
        ("StatusCallback", status_callback),
    ];
    form.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    form
}

/// Run a `calls` subcommand.
pub async fn execute(client: &Client, command: CallsCommand) -> Result<Output, Error> {
    let list_path = client.account_path("Calls.json");
    let one = |record| Ok(Output::One(Kind::Call, record));
    match command {
        CallsCommand::List {
            status,
            to,
            from,
            limit,
        } => {
            let filters: Vec<(&str, String)> = [("Status", status), ("To", to), ("From", from)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let records = client
                .list(&list_path, "calls", &filters, Some(limit))
                .await?;
            Ok(Output::List(Kind::Call, records))
        }
        CallsCommand::Create {
            to,
            from,
            instructions,
            method,
            timeout,
            status_callback,
        } => {
            let form = create_form(to, from, &instructions, method, timeout, status_callback);
            one(client.post(&list_path, &form).await?)
        }
        CallsCommand::Get { sid } => one(client.get(&instance_path(client, &sid), &[]).await?),
        CallsCommand::Hangup { sid } => {
            let form = [("Status", "completed".to_owned())];
            one(client.post(&instance_path(client, &sid), &form).await?)
        }
        CallsCommand::Cancel { sid } => {
            let form = [("Status", "canceled".to_owned())];
            one(client.post(&instance_path(client, &sid), &form).await?)
        }
        CallsCommand::Redirect {
            sid,
            instructions,
            method,
        } => {
            let mut form = Vec::new();
            instructions.form(&mut form);
            if let Some(m) = method {
                form.push(("Method", m));
            }
            one(client.post(&instance_path(client, &sid), &form).await?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_form_names_twilio_parameters() {
        let instructions = Instructions {
            url: None,
            twiml: Some("<Response/>".into()),
        };
        let form = create_form(
            "+1555".into(),
            "+1666".into(),
            &instructions,
            None,
            Some(20),
            None,
        );
        assert_eq!(
            form,
            vec![
                ("To", "+1555".to_owned()),
                ("From", "+1666".to_owned()),
                ("Twiml", "<Response/>".to_owned()),
                ("Timeout", "20".to_owned()),
            ]
        );
    }
}
