//! `switchyard numbers …` over `…/IncomingPhoneNumbers.json`.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::output::{Kind, Output};
use super::voice::VoiceArgs;
use super::{client::encode_segment, Client, Error};

/// What a number is bound to besides its voice webhook.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberArgs {
    /// Human-readable label (FriendlyName; defaults to the number itself).
    #[arg(long, value_name = "NAME")]
    pub friendly_name: Option<String>,
    /// Application (AP…) whose voice settings answer this number (VoiceApplicationSid;
    /// "" unbinds).
    #[arg(long, value_name = "AP…")]
    pub voice_application: Option<String>,
    /// Wasm app, by name, that answers this number (VoiceWasmApp; "" unbinds).
    #[arg(long, value_name = "NAME")]
    pub wasm_app: Option<String>,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

impl NumberArgs {
    fn form(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.friendly_name {
            out.push(("FriendlyName", v.clone()));
        }
        if let Some(v) = &self.voice_application {
            out.push(("VoiceApplicationSid", v.clone()));
        }
        if let Some(v) = &self.wasm_app {
            out.push(("VoiceWasmApp", v.clone()));
        }
        self.voice.form(&mut out);
        out
    }
}

/// `switchyard numbers …`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum NumbersCommand {
    /// List the account's numbers (every page).
    List {
        /// Only this number (E.164, e.g. +15550001111).
        #[arg(long, value_name = "E164")]
        phone_number: Option<String>,
        /// Only numbers with this friendly name.
        #[arg(long, value_name = "NAME")]
        friendly_name: Option<String>,
    },
    /// Claim a number for the account and say what answers it.
    #[command(group(
        clap::ArgGroup::new("answered_by")
            .required(true)
            .multiple(true)
            .args(["voice_url", "voice_application", "wasm_app"])
    ))]
    Create {
        /// The number, E.164 (e.g. +15550001111).
        #[arg(value_name = "PHONE")]
        phone_number: String,
        #[command(flatten)]
        args: NumberArgs,
    },
    /// Change a number's settings; flags not given keep their value.
    Update {
        /// The number's SID (PN…) or the number itself (E.164).
        #[arg(value_name = "SID|PHONE")]
        number: String,
        #[command(flatten)]
        args: NumberArgs,
    },
    /// Release a number from the account.
    Delete {
        /// The number's SID (PN…) or the number itself (E.164).
        #[arg(value_name = "SID|PHONE")]
        number: String,
    },
}

/// Whether `s` has the shape of a number SID (`PN` + 32 lowercase hex).
fn is_number_sid(s: &str) -> bool {
    s.len() == 34
        && s.starts_with("PN")
        && s[2..]
            .bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SID of a number given as a SID or as E.164.
pub(super) async fn resolve(client: &Client, number: &str) -> Result<String, Error> {
    if is_number_sid(number) {
        return Ok(number.to_owned());
    }
    let path = client.account_path("IncomingPhoneNumbers.json");
    let found = client
        .list(
            &path,
            "incoming_phone_numbers",
            &[("PhoneNumber", number.to_owned())],
            Some(2),
        )
        .await?;
    // The API filters on the exact number, but be sure before deleting anything.
    found
        .iter()
        .find(|n| n.get("phone_number").and_then(Value::as_str) == Some(number))
        .and_then(|n| n.get("sid").and_then(Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| Error::NoSuchNumber(number.to_owned()))
}

fn instance_path(client: &Client, sid: &str) -> String {
    client.account_path(&format!(
        "IncomingPhoneNumbers/{}.json",
        encode_segment(sid)
    ))
}

/// Run a `numbers` subcommand.
pub async fn execute(client: &Client, command: NumbersCommand) -> Result<Output, Error> {
    let list_path = client.account_path("IncomingPhoneNumbers.json");
    match command {
        NumbersCommand::List {
            phone_number,
            friendly_name,
        } => {
            let mut filters = Vec::new();
            if let Some(p) = phone_number {
                filters.push(("PhoneNumber", p));
            }
            if let Some(f) = friendly_name {
                filters.push(("FriendlyName", f));
            }
            let records = client
                .list(&list_path, "incoming_phone_numbers", &filters, None)
                .await?;
            Ok(Output::List(Kind::Number, records))
        }
        NumbersCommand::Create { phone_number, args } => {
            let mut form = vec![("PhoneNumber", phone_number)];
            form.extend(args.form());
            let record = client.post(&list_path, &form).await?;
            Ok(Output::One(Kind::Number, record))
        }
        NumbersCommand::Update { number, args } => {
            let sid = resolve(client, &number).await?;
            let record = client
                .post(&instance_path(client, &sid), &args.form())
                .await?;
            Ok(Output::One(Kind::Number, record))
        }
        NumbersCommand::Delete { number } => {
            let sid = resolve(client, &number).await?;
            client.delete(&instance_path(client, &sid)).await?;
            Ok(Output::Deleted(sid))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_told_from_phone_numbers() {
        assert!(is_number_sid("PN0123456789abcdef0123456789abcdef"));
        assert!(!is_number_sid("+15550001111"));
        assert!(!is_number_sid("PN0123456789ABCDEF0123456789abcdef"));
        assert!(!is_number_sid("PN01"));
    }

    #[test]
    fn form_carries_only_given_settings() {
        let args = NumberArgs {
            friendly_name: Some("desk".into()),
            wasm_app: Some(String::new()),
            ..NumberArgs::default()
        };
        assert_eq!(
            args.form(),
            vec![
                ("FriendlyName", "desk".to_owned()),
                ("VoiceWasmApp", String::new())
            ]
        );
    }
}
