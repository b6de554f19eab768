//! `switchyard numbers|applications|calls|wasm|events …`: everyday administration over the node's
//! Twilio-compatible REST API, with readable tables by default and `--json` for scripts.
//!
//! The subcommands only speak HTTP to a node (local or remote); they never open its
//! store, so they work the same against a node on another machine.

mod applications;
mod calls;
mod client;
mod dial;
mod error;
mod events;
mod numbers;
mod output;
mod table;
mod voice;
mod wasm;

use std::io::Write;

use clap::{Args, Subcommand};

pub use applications::ApplicationsCommand;
pub use calls::CallsCommand;
pub use client::Client;
pub use dial::{run as dial, DialArgs};
pub use error::Error;
pub use events::EventsCommand;
pub use numbers::NumbersCommand;
pub use output::Output;
pub use wasm::WasmCommand;

/// The API base used when neither `--api` nor `SWITCHYARD_API` is set: what `up` binds
/// by default.
pub const DEFAULT_API: &str = "http://127.0.0.1:8080";

/// Connection flags shared by every API subcommand. Each falls back to an environment
/// variable so credentials need not appear in shell history.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct Globals {
    /// Base URL of the node's REST API [env: SWITCHYARD_API] [default: http://127.0.0.1:8080].
    #[arg(
        long,
        global = true,
        help_heading = "Connection and output",
        value_name = "URL"
    )]
    pub api: Option<String>,
    /// Account SID (AC…) to act as [env: SWITCHYARD_ACCOUNT_SID].
    #[arg(
        long,
        global = true,
        help_heading = "Connection and output",
        value_name = "AC…"
    )]
    pub account: Option<String>,
    /// The account's auth token [env: SWITCHYARD_AUTH_TOKEN].
    #[arg(
        long,
        global = true,
        help_heading = "Connection and output",
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Print the API's JSON (an array for lists) instead of a table.
    #[arg(long, global = true, help_heading = "Connection and output")]
    pub json: bool,
}

/// The API subcommands (`up` lives in the binary itself).
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ApiCommand {
    /// Manage the account's phone numbers (IncomingPhoneNumbers).
    #[command(subcommand)]
    Numbers(NumbersCommand),
    /// Manage the account's applications (voice webhook settings shared by numbers).
    #[command(subcommand, alias = "apps")]
    Applications(ApplicationsCommand),
    /// List, start and steer calls.
    #[command(subcommand)]
    Calls(CallsCommand),
    /// Deploy, list and delete tenant Wasm apps.
    #[command(subcommand, alias = "app")]
    Wasm(WasmCommand),
    /// Event subscriptions and signed stream URLs.
    #[command(subcommand)]
    Events(EventsCommand),
}

/// A flag's value, else its environment variable (empty counts as unset).
fn flag_or_env(flag: Option<&str>, env: &str) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| std::env::var(env).ok())
        .filter(|v| !v.is_empty())
}

fn client(globals: &Globals) -> Result<Client, Error> {
    let api = flag_or_env(globals.api.as_deref(), "SWITCHYARD_API")
        .unwrap_or_else(|| DEFAULT_API.to_owned());
    let account = flag_or_env(globals.account.as_deref(), "SWITCHYARD_ACCOUNT_SID").ok_or(
        Error::MissingCredential {
            flag: "--account",
            env: "SWITCHYARD_ACCOUNT_SID",
        },
    )?;
    let token = flag_or_env(globals.token.as_deref(), "SWITCHYARD_AUTH_TOKEN").ok_or(
        Error::MissingCredential {
            flag: "--token",
            env: "SWITCHYARD_AUTH_TOKEN",
        },
    )?;
    Client::new(&api, &account, &token)
}

async fn execute(globals: &Globals, command: ApiCommand) -> Result<Output, Error> {
    let client = client(globals)?;
    match command {
        ApiCommand::Numbers(c) => numbers::execute(&client, c).await,
        ApiCommand::Applications(c) => applications::execute(&client, c).await,
        ApiCommand::Calls(c) => calls::execute(&client, c).await,
        ApiCommand::Wasm(c) => wasm::execute(&client, c).await,
        ApiCommand::Events(c) => events::execute(&client, c).await,
    }
}

/// Run one API subcommand: print its result on stdout (table or JSON) or its error on
/// stderr, and return the process exit status (0, 1 refused or failed, 2 unreachable).
pub async fn run(globals: Globals, command: ApiCommand) -> u8 {
    match execute(&globals, command).await {
        Ok(output) => {
            let text = output.render(globals.json);
            // A closed pipe (`| head`) is the reader's choice, not a failure worth a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
