//! `switchyard`: the node binary, and the everyday commands that drive a node's REST API.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use switchyard_node::config::Config;

#[derive(Parser, Debug)]
#[command(
    name = "switchyard",
    version,
    about = "Programmable-telephony edge node",
    after_help = "Credentials for numbers, apps and calls come from --account/--token or \
                  SWITCHYARD_ACCOUNT_SID/SWITCHYARD_AUTH_TOKEN; the API from --api or \
                  SWITCHYARD_API (default http://127.0.0.1:8080)."
)]
struct Cli {
    #[command(flatten)]
    globals: cli::Globals,
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
    /// Place a SIP call and report how it went: press keys once answered, record what it
    /// hears. `dial +15550001111 --digits 2` calls the demo number of a local `up`.
    /// `call` is an unlisted alias: listed, it would be one letter from `calls`.
    #[command(alias = "call")]
    Dial(cli::DialArgs),
    #[command(flatten)]
    Api(cli::ApiCommand),
}

fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let Cli { globals, command } = Cli::parse();
    let (config, sip_listen, http_listen, data_dir) = match command {
        Command::Up {
            config,
            sip_listen,
            http_listen,
            data_dir,
        } => (config, sip_listen, http_listen, data_dir),
        Command::Api(api) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("switchyard")
                .build()?;
            return Ok(ExitCode::from(runtime.block_on(cli::run(globals, api))));
        }
        Command::Dial(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            return Ok(ExitCode::from(runtime.block_on(cli::dial(args))));
        }
    };
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
    runtime.block_on(switchyard_node::run(cfg, demo))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use cli::{ApiCommand, ApplicationsCommand, CallsCommand, NumbersCommand};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("switchyard").chain(args.iter().copied()))
    }

    fn api(args: &[&str]) -> (cli::Globals, ApiCommand) {
        match parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}")) {
            Cli {
                globals,
                command: Command::Api(c),
            } => (globals, c),
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn up_still_parses_as_before() {
        let cli = parse(&["up", "--http-listen", "127.0.0.1:9000"]).unwrap();
        match cli.command {
            Command::Up {
                config,
                http_listen,
                ..
            } => {
                assert_eq!(config, None);
                assert_eq!(http_listen, Some("127.0.0.1:9000".parse().unwrap()));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn global_flags_go_before_or_after_the_subcommand() {
        let (g, _) = api(&["--json", "--api", "http://h:1", "numbers", "list"]);
        assert!(g.json);
        assert_eq!(g.api.as_deref(), Some("http://h:1"));
        let (g, c) = api(&[
            "numbers",
            "list",
            "--account",
            "AC1",
            "--token",
            "t",
            "--json",
        ]);
        assert!(g.json);
        assert_eq!(
            (g.account.as_deref(), g.token.as_deref()),
            (Some("AC1"), Some("t"))
        );
        assert_eq!(
            c,
            ApiCommand::Numbers(NumbersCommand::List {
                phone_number: None,
                friendly_name: None
            })
        );
    }

    #[test]
    fn numbers_create_needs_something_to_answer_the_number() {
        let (_, c) = api(&[
            "numbers",
            "create",
            "+15550002222",
            "--voice-url",
            "http://a.test/v",
            "--voice-method",
            "get",
        ]);
        let ApiCommand::Numbers(NumbersCommand::Create { phone_number, args }) = c else {
            panic!("{c:?}");
        };
        assert_eq!(phone_number, "+15550002222");
        assert_eq!(args.voice.voice_url.as_deref(), Some("http://a.test/v"));
        assert_eq!(args.voice.voice_method.as_deref(), Some("GET"));
        let e = parse(&["numbers", "create", "+15550002222"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingRequiredArgument);
        let e = parse(&[
            "numbers",
            "create",
            "+1",
            "--voice-url",
            "u",
            "--voice-method",
            "PUT",
        ])
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ValueValidation);
        // Update takes the same flags but requires none.
        let (_, c) = api(&["numbers", "update", "+15550002222"]);
        assert!(matches!(
            c,
            ApiCommand::Numbers(NumbersCommand::Update { .. })
        ));
    }

    #[test]
    fn calls_create_takes_exactly_one_of_url_and_twiml() {
        let (_, c) = api(&[
            "calls",
            "create",
            "--to",
            "+1555",
            "--from",
            "+1666",
            "--twiml",
            "<Response/>",
            "--timeout",
            "30",
        ]);
        let ApiCommand::Calls(CallsCommand::Create {
            instructions,
            timeout,
            ..
        }) = c
        else {
            panic!("{c:?}");
        };
        assert_eq!(instructions.twiml.as_deref(), Some("<Response/>"));
        assert_eq!(instructions.url, None);
        assert_eq!(timeout, Some(30));
        let base = ["calls", "create", "--to", "+1", "--from", "+2"];
        let neither = parse(&base).unwrap_err();
        assert_eq!(neither.kind(), ErrorKind::MissingRequiredArgument);
        let both =
            parse(&[&base[..], &["--url", "http://a", "--twiml", "<R/>"]].concat()).unwrap_err();
        assert_eq!(both.kind(), ErrorKind::ArgumentConflict);
        let long =
            parse(&[&base[..], &["--url", "http://a", "--timeout", "601"]].concat()).unwrap_err();
        assert_eq!(long.kind(), ErrorKind::ValueValidation);
    }

    #[test]
    fn calls_list_validates_status_and_defaults_limit() {
        let (_, c) = api(&["calls", "list", "--status", "in-progress"]);
        assert_eq!(
            c,
            ApiCommand::Calls(CallsCommand::List {
                status: Some("in-progress".into()),
                to: None,
                from: None,
                limit: 50
            })
        );
        let e = parse(&["calls", "list", "--status", "talking"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        let e = parse(&["calls", "list", "--limit", "0"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ValueValidation);
    }

    #[test]
    fn call_control_subcommands() {
        let sid = "CA0123456789abcdef0123456789abcdef";
        let (_, c) = api(&["calls", "hangup", sid]);
        assert_eq!(
            c,
            ApiCommand::Calls(CallsCommand::Hangup { sid: sid.into() })
        );
        let (_, c) = api(&["calls", "redirect", sid, "--url", "http://a.test/x"]);
        assert!(matches!(
            c,
            ApiCommand::Calls(CallsCommand::Redirect { .. })
        ));
        let e = parse(&["calls", "redirect", sid]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn applications_commands() {
        let (_, c) = api(&[
            "applications",
            "create",
            "--name",
            "ivr",
            "--voice-url",
            "http://a.test/v",
        ]);
        let ApiCommand::Applications(ApplicationsCommand::Create { args }) = c else {
            panic!("{c:?}");
        };
        assert_eq!(args.name.as_deref(), Some("ivr"));
        assert_eq!(args.voice.voice_url.as_deref(), Some("http://a.test/v"));
        assert_eq!(
            api(&["applications", "list"]).1,
            ApiCommand::Applications(ApplicationsCommand::List)
        );
        assert!(parse(&["applications", "delete"]).is_err());
        // The old name still parses, and is not listed.
        assert_eq!(
            api(&["apps", "list"]).1,
            ApiCommand::Applications(ApplicationsCommand::List)
        );
    }

    #[test]
    fn wasm_deploy_takes_a_file_a_name_and_an_optional_number() {
        let (_, c) = api(&[
            "wasm",
            "deploy",
            "ivr.wasm",
            "--name",
            "ivr",
            "--number",
            "+15550001111",
            "--http-allow",
            "api.example.com",
            "--http-allow",
            "127.0.0.1:9000",
        ]);
        let ApiCommand::Wasm(cli::WasmCommand::Deploy {
            file,
            name,
            number,
            http_allow,
            ..
        }) = c
        else {
            panic!("{c:?}");
        };
        assert_eq!(file, PathBuf::from("ivr.wasm"));
        assert_eq!(name, "ivr");
        assert_eq!(number.as_deref(), Some("+15550001111"));
        assert_eq!(http_allow, vec!["api.example.com", "127.0.0.1:9000"]);
        assert!(
            parse(&["wasm", "deploy", "ivr.wasm"]).is_err(),
            "--name is required"
        );
        assert!(matches!(
            api(&["app", "list"]).1,
            ApiCommand::Wasm(cli::WasmCommand::List)
        ));
    }

    #[test]
    fn events_url_takes_a_spec_or_a_subscription_not_both() {
        let (_, c) = api(&[
            "events",
            "url",
            "--types",
            "call.*",
            "--filter",
            "From^=+1555",
            "--ttl",
            "600",
        ]);
        let ApiCommand::Events(cli::EventsCommand::Url { subscription, .. }) = c else {
            panic!("{c:?}");
        };
        assert_eq!(subscription, None);
        let e = parse(&[
            "events",
            "url",
            "--subscription",
            "ES1",
            "--types",
            "call.*",
        ])
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ArgumentConflict);
        let (_, c) = api(&[
            "events",
            "subscribe",
            "--sink-url",
            "https://example.com/hook",
        ]);
        assert!(matches!(
            c,
            ApiCommand::Events(cli::EventsCommand::Subscribe {
                sink_url: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn dial_takes_a_number_and_defaults_to_the_demo_node() {
        let Command::Dial(args) = parse(&["dial", "+15550001111"]).unwrap().command else {
            panic!("not dial");
        };
        assert_eq!(args.number, "+15550001111");
        assert_eq!(args.to, "127.0.0.1:5060");
        assert_eq!((args.digits, args.record), (None, None));
        assert_eq!((args.digits_after, args.seconds), (3.0, 20));
        let Command::Dial(args) = parse(&[
            "dial",
            "alice",
            "--to",
            "pbx.example.com:5080",
            "--digits",
            "1w#",
            "--digits-after",
            "1.5",
            "--record",
            "out.wav",
            "--seconds",
            "15",
        ])
        .unwrap()
        .command
        else {
            panic!("not dial");
        };
        assert_eq!(args.to, "pbx.example.com:5080");
        assert_eq!(args.digits.as_deref(), Some("1w#"));
        assert_eq!(args.digits_after, 1.5);
        assert_eq!(args.record, Some(PathBuf::from("out.wav")));
        assert_eq!(args.seconds, 15);
        assert!(parse(&["dial"]).is_err(), "the number is required");
        let Command::Dial(args) = parse(&["call", "+15550001111", "--digits", "2"])
            .unwrap()
            .command
        else {
            panic!("`call` is not dial");
        };
        assert_eq!(args.digits.as_deref(), Some("2"));
        assert!(parse(&["dial", "1", "--seconds", "soon"]).is_err());
    }

    /// Levenshtein distance, for the test below.
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }

    #[test]
    fn no_two_commands_differ_by_one_letter() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let names: Vec<&str> = cmd
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name())
            .collect();
        assert!(names.contains(&"applications") && names.contains(&"wasm"));
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert!(distance(a, b) > 1, "`{a}` and `{b}` are one letter apart");
            }
        }
        assert_eq!(distance("app", "apps"), 1, "the check itself");
    }

    #[test]
    fn every_command_and_flag_is_documented() {
        use clap::CommandFactory;
        fn check(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(arg.get_help().is_some(), "{path} {id} has no help");
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() == "help" {
                    continue;
                }
                assert!(
                    sub.get_about().is_some(),
                    "{path} {} has no about",
                    sub.get_name()
                );
                check(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        check(&cmd, "switchyard");
    }
}
