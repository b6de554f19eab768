//! `switchyard events …`: event subscriptions and signed stream URLs over
//! `/v1/Accounts/{AccountSid}/Subscriptions` and `…/Events/SignedUrl`.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::output::{Kind, Output};
use super::{client::encode_segment, Client, Error};

/// What a subscription asks for (shared by `url` and `subscribe`).
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecArgs {
    /// Event types or families, comma-separated (`call.*,gather.ended`); default all.
    #[arg(long, value_name = "TYPES")]
    types: Option<String>,
    /// A parameter filter, `Name=value` or `Name^=prefix` (repeatable).
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// A deployed event-filter app run before delivery.
    #[arg(long, value_name = "NAME")]
    wasm_filter: Option<String>,
    /// Seconds until it expires.
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<u64>,
}

impl SpecArgs {
    fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        if let Some(t) = &self.types {
            form.push(("Types", t.clone()));
        }
        form.extend(self.filters.iter().map(|f| ("Filter", f.clone())));
        if let Some(w) = &self.wasm_filter {
            form.push(("WasmFilter", w.clone()));
        }
        if let Some(t) = self.ttl {
            form.push(("Ttl", t.to_string()));
        }
        form
    }
}

/// `switchyard events …`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum EventsCommand {
    /// Mint a signed stream URL a browser can open without the key (and its
    /// /console/events page); with --subscription, for that stored subscription.
    Url {
        #[command(flatten)]
        spec: SpecArgs,
        /// A stream subscription's SID (ES…) instead of an inline one.
        #[arg(long, value_name = "ES…", conflicts_with_all = ["types", "filters", "wasm_filter"])]
        subscription: Option<String>,
    },
    /// Create a subscription: a stream (default) or, with --sink-url, a webhook sink.
    Subscribe {
        #[command(flatten)]
        spec: SpecArgs,
        /// POST each event to this URL (signed, retried).
        #[arg(long, value_name = "URL")]
        sink_url: Option<String>,
    },
    /// List the account's subscriptions.
    Subscriptions,
    /// Delete a subscription.
    Unsubscribe {
        /// The subscription's SID (ES…).
        sid: String,
    },
}

pub async fn execute(client: &Client, command: EventsCommand) -> Result<Output, Error> {
    match command {
        EventsCommand::Url { spec, subscription } => {
            let path = match &subscription {
                Some(sid) => {
                    client.v1_path(&format!("Subscriptions/{}/SignedUrl", encode_segment(sid)))
                }
                None => client.v1_path("Events/SignedUrl"),
            };
            let minted = client.post(&path, &spec.form()).await?;
            Ok(Output::One(Kind::SignedUrl, absolute(client, minted)?))
        }
        EventsCommand::Subscribe { spec, sink_url } => {
            let mut form = spec.form();
            if let Some(u) = sink_url {
                form.push(("SinkUrl", u));
            }
            let created = client.post(&client.v1_path("Subscriptions"), &form).await?;
            Ok(Output::One(Kind::Subscription, created))
        }
        EventsCommand::Subscriptions => {
            let list = client.get(&client.v1_path("Subscriptions"), &[]).await?;
            let subs = list
                .get("subscriptions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            Ok(Output::List(Kind::Subscription, subs))
        }
        EventsCommand::Unsubscribe { sid } => {
            client
                .delete(&client.v1_path(&format!("Subscriptions/{}", encode_segment(&sid))))
                .await?;
            Ok(Output::Deleted(sid))
        }
    }
}

/// The minted paths as absolute URLs of the node the CLI talks to.
fn absolute(client: &Client, mut minted: Value) -> Result<Value, Error> {
    for key in ["url", "console_url"] {
        if let Some(path) = minted.get(key).and_then(Value::as_str) {
            let url = client.url(path)?.to_string();
            minted[key] = Value::String(url);
        }
    }
    Ok(minted)
}
