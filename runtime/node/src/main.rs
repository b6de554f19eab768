//! `switchyard`: the node binary.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use switchyard_node::config::Config;

#[derive(Parser, Debug)]
#[command(
    name = "switchyard",
    version,
    about = "Programmable-telephony edge node"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a node. Without --config: a demo account and number (+15550001111) bound to the
    /// built-in demo app, SIP on 127.0.0.1:5060 (UDP and TCP), HTTP on 127.0.0.1:8080.
    Up {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Override `sip.listen`.
        #[arg(long)]
        sip_listen: Option<std::net::SocketAddr>,
        /// Override `http.listen`.
        #[arg(long)]
        http_listen: Option<std::net::SocketAddr>,
        /// Override `node.data_dir`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Cli { command } = Cli::parse();
    let Command::Up {
        config,
        sip_listen,
        http_listen,
        data_dir,
    } = command;
    let demo = config.is_none();
    let mut cfg = match &config {
        Some(path) => Config::load(path)?,
        None => toml::from_str::<Config>("").context("default config")?,
    };
    if let Some(a) = sip_listen {
        cfg.sip.listen = a;
    }
    if let Some(a) = http_listen {
        cfg.http.listen = a;
    }
    if let Some(d) = data_dir {
        cfg.node.data_dir = d;
    }
    if demo {
        cfg.add_demo();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("switchyard")
        .build()?;
    runtime.block_on(switchyard_node::run(cfg, demo))
}
