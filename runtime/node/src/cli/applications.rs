//! `switchyard applications …` over `…/Applications.json`.

use clap::{Args, Subcommand};

use super::output::{Kind, Output};
use super::voice::VoiceArgs;
use super::{client::encode_segment, Client, Error};

/// An application's settings.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationArgs {
    /// Human-readable name (FriendlyName).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

impl ApplicationArgs {
    fn form(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(n) = &self.name {
            out.push(("FriendlyName", n.clone()));
        }
        self.voice.form(&mut out);
        out
    }
}

/// `switchyard applications …`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ApplicationsCommand {
    /// List the account's applications (every page).
    List,
    /// Create an application; bind numbers to it with `numbers update --voice-application`.
    Create {
        #[command(flatten)]
        args: ApplicationArgs,
    },
    /// Change an application's settings; flags not given keep their value.
    Update {
        /// The application's SID (AP…).
        #[arg(value_name = "SID")]
        sid: String,
        #[command(flatten)]
        args: ApplicationArgs,
    },
    /// Delete an application.
    Delete {
        /// The application's SID (AP…).
        #[arg(value_name = "SID")]
        sid: String,
    },
}

fn instance_path(client: &Client, sid: &str) -> String {
    client.account_path(&format!("Applications/{}.json", encode_segment(sid)))
}

/// Run an `apps` subcommand.
pub async fn execute(client: &Client, command: ApplicationsCommand) -> Result<Output, Error> {
    let list_path = client.account_path("Applications.json");
    match command {
        ApplicationsCommand::List => {
            let records = client.list(&list_path, "applications", &[], None).await?;
            Ok(Output::List(Kind::App, records))
        }
        ApplicationsCommand::Create { args } => {
            let record = client.post(&list_path, &args.form()).await?;
            Ok(Output::One(Kind::App, record))
        }
        ApplicationsCommand::Update { sid, args } => {
            let record = client
                .post(&instance_path(client, &sid), &args.form())
                .await?;
            Ok(Output::One(Kind::App, record))
        }
        ApplicationsCommand::Delete { sid } => {
            client.delete(&instance_path(client, &sid)).await?;
            Ok(Output::Deleted(sid))
        }
    }
}
