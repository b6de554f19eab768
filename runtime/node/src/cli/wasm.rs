//! `switchyard wasm …`: tenant Wasm apps over `/v1/Accounts/{AccountSid}/Apps`.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::Value;

use super::output::{Kind, Output};
use super::{client::encode_segment, Client, Error};

/// `switchyard wasm …`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum WasmCommand {
    /// Upload a component (built with `cargo build --target wasm32-wasip2`) as a new
    /// version of NAME; with --number, bind that number to it (VoiceUrl=app:NAME).
    Deploy {
        /// The `.wasm` component.
        file: PathBuf,
        /// The app's name (letters, digits, '-' and '_').
        #[arg(long)]
        name: String,
        /// Bind this number (E.164 or PN… SID) to the app once deployed.
        #[arg(long, value_name = "NUMBER")]
        number: Option<String>,
        /// Linear memory a step may use, in bytes (default 64 MiB).
        #[arg(long, value_name = "BYTES")]
        memory_limit: Option<u64>,
        /// CPU budget of one step, in milliseconds (default 50; for a transcoder, per
        /// 20 ms frame: default 1, at most 10).
        #[arg(long, value_name = "MS")]
        cpu_ms: Option<u32>,
        /// Hosts the app may reach with outbound HTTP (repeatable).
        #[arg(long = "http-allow", value_name = "HOST")]
        http_allow: Vec<String>,
        /// The world it targets: call-handler (default), event-filter or transcoder.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
    },
    /// List the account's apps (latest version of each).
    List,
    /// Delete every version of an app.
    Delete {
        /// The app's name.
        name: String,
    },
}

pub async fn execute(client: &Client, command: WasmCommand) -> Result<Output, Error> {
    match command {
        WasmCommand::Deploy {
            file,
            name,
            number,
            memory_limit,
            cpu_ms,
            http_allow,
            kind,
        } => {
            let bytes = std::fs::read(&file).map_err(|e| Error::BadResponse {
                url: file.display().to_string(),
                reason: format!("cannot read the component: {e}"),
            })?;
            let mut query = vec![("Name", name.clone())];
            if let Some(m) = memory_limit {
                query.push(("MemoryLimit", m.to_string()));
            }
            if let Some(c) = cpu_ms {
                query.push(("CpuMs", c.to_string()));
            }
            if !http_allow.is_empty() {
                query.push(("HttpAllow", http_allow.join(",")));
            }
            if let Some(k) = kind {
                query.push(("Kind", k));
            }
            let app = client
                .post_bytes(&client.v1_path("Apps"), &query, "application/wasm", bytes)
                .await?;
            if let Some(number) = number {
                let sid = super::numbers::resolve(client, &number).await?;
                let path = client.account_path(&format!(
                    "IncomingPhoneNumbers/{}.json",
                    encode_segment(&sid)
                ));
                client
                    .post(&path, &[("VoiceUrl", format!("app:{name}"))])
                    .await?;
            }
            Ok(Output::One(Kind::WasmApp, app))
        }
        WasmCommand::List => {
            let list = client.get(&client.v1_path("Apps"), &[]).await?;
            let apps = list
                .get("apps")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            Ok(Output::List(Kind::WasmApp, apps))
        }
        WasmCommand::Delete { name } => {
            let path = client.v1_path(&format!("Apps/{}", encode_segment(&name)));
            client.delete(&path).await?;
            Ok(Output::Deleted(name))
        }
    }
}
