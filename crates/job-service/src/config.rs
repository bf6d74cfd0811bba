// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where a flag's value comes from: the command line, else its `AJS_` environment variable, else
//! the `--config` file, else its default.
//!
//! One mechanism for every flag of `serve` and `worker`: clap itself. Each flag gets its
//! environment variable (`--project-dir` → `AJS_PROJECT_DIR`), and the file's values become
//! the flags' defaults before parsing. clap already ranks a flag over its variable over its
//! default, so the precedence needs no code of ours, and a value from any of the three goes
//! through the same parser and check, with the same message naming the flag.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command as Cmd};

/// The commands whose flags come from the environment and the file too.
const CONFIGURED: [&str; 2] = ["serve", "worker"];

/// Flags of which one at most may be given: when one comes from the file and the other from
/// the command line or the environment, the file's gives way.
const EXCLUSIVE: [(&str, &str); 8] = [
    ("store", "store_file"),
    ("store", "redis_url"),
    ("store", "redis_url_file"),
    ("store_file", "redis_url"),
    ("store_file", "redis_url_file"),
    ("redis_url", "redis_url_file"),
    ("token_file", "no_token"),
    ("tokens_file", "no_token"),
];

/// Why the command line could not be read.
#[derive(Debug)]
pub enum ParseError {
    /// clap's own (usage errors, but also `--help` and `--version`): printed as clap prints them.
    Clap(clap::Error),
    /// The config file: missing, not TOML, an unknown key, a value of the wrong kind.
    Usage(String),
}

impl From<clap::Error> for ParseError {
    fn from(e: clap::Error) -> Self {
        Self::Clap(e)
    }
}

/// `--project-dir` → `AJS_PROJECT_DIR`.
pub fn env_name(long: &str) -> String {
    format!("AJS_{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// The command line of the process, its environment and its config file.
pub fn parse() -> Result<Cli, ParseError> {
    parse_from(
        std::env::args_os().collect(),
        std::env::var_os("AJS_CONFIG"),
    )
}

/// `argv` with the config file it names (`--config`), else `config_env` (`AJS_CONFIG`).
pub fn parse_from(argv: Vec<OsString>, config_env: Option<OsString>) -> Result<Cli, ParseError> {
    let mut cmd = command();
    let mut from_file: Vec<String> = Vec::new();
    if let Some((sub, path)) = config_file(&argv, config_env) {
        let table = read(&path)?;
        if let Some(sc) = cmd.find_subcommand(&sub) {
            let defaults = defaults(sc, &table, &path)?;
            from_file = defaults.iter().map(|(id, _)| id.clone()).collect();
            cmd = cmd.mut_subcommand(&sub, |mut sc| {
                for (id, values) in defaults {
                    // A store URL may carry a password: never shown in --help.
                    let hide = secret_key(&id);
                    // A default does not satisfy `required` in clap; the file's value does here.
                    sc = sc.mut_arg(id, |a| {
                        a.default_values(values)
                            .hide_default_value(hide)
                            .required(false)
                    });
                }
                sc
            });
        }
    }
    let matches = cmd.try_get_matches_from_mut(&argv)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
    if let Some((_, sm)) = matches.subcommand() {
        settle(&mut cli, sm, &from_file)?;
    }
    Ok(cli)
}

/// The derived command, with every flag of `serve` and `worker` readable from its `AJS_`
/// variable. Values are hidden in `--help`: one of them may be a Redis password.
pub fn command() -> Command {
    CONFIGURED.iter().fold(Cli::command(), |cmd, sub| {
        cmd.mut_subcommand(sub, |sc| {
            let longs: Vec<(clap::Id, String)> = sc
                .get_arguments()
                .filter_map(|a| Some((a.get_id().clone(), a.get_long()?.to_string())))
                .collect();
            longs.into_iter().fold(sc, |sc, (id, long)| {
                sc.mut_arg(id, |a| {
                    let a = a.env(env_name(&long)).hide_env_values(true);
                    // A switch's variable set but empty (`AJS_NO_TOKEN=`) means off, as does
                    // 0, false, no, off; anything else means on.
                    if matches!(a.get_action(), ArgAction::SetTrue) {
                        a.value_parser(clap::builder::FalseyValueParser::new())
                    } else {
                        a
                    }
                })
            })
        })
    })
}

/// Flags whose value may carry a password: the store, and every URL.
fn secret_key(id: &str) -> bool {
    id == "store" || id == "url" || id.ends_with("_url")
}

/// The subcommand and the file: `--config FILE` or `--config=FILE` after it, else `AJS_CONFIG`.
fn config_file(argv: &[OsString], config_env: Option<OsString>) -> Option<(String, PathBuf)> {
    let sub = argv.get(1)?.to_str()?;
    if !CONFIGURED.contains(&sub) {
        return None;
    }
    let mut rest = argv[2..].iter();
    while let Some(a) = rest.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            return Some((sub.into(), PathBuf::from(rest.next()?)));
        }
        if let Some(path) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some((sub.into(), PathBuf::from(path)));
        }
    }
    let env = config_env.filter(|e| !e.is_empty())?;
    Some((sub.into(), PathBuf::from(env)))
}

fn read(path: &Path) -> Result<toml::Table, ParseError> {
    let bad = |why: String| ParseError::Usage(format!("--config {}: {why}", path.display()));
    // Opened as the token files are: not through a symlink, never waiting on a FIFO, a regular
    // file; whoever may write it chooses the store, the tokens and the playbook's environment.
    let mut f = crate::auth::token::open_regular(path, true).map_err(|e| bad(e.to_string()))?;
    let meta = f.metadata().map_err(|e| bad(e.to_string()))?;
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(bad(format!(
            "owned by uid {}, not by this user ({me}) or root, who chooses the store, the tokens and what runs: chown {me} it",
            meta.uid()
        )));
    }
    let mode = meta.mode();
    if mode & 0o022 != 0 {
        return Err(bad(format!(
            "mode {:o}, writable by group or others, who could choose the store, the tokens and what runs: run chmod go-w on it",
            mode & 0o777
        )));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut f, &mut text).map_err(|e| bad(e.to_string()))?;
    // toml's own message quotes the offending line, which may hold a password: say where only.
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        bad(match line {
            Some(n) => format!("line {n}: {}; the file is TOML (key = value)", e.message()),
            None => format!("{}; the file is TOML (key = value)", e.message()),
        })
    })?;
    // As for --redis-url-file: a password in a file every user may read is refused.
    for key in ["store", "redis-url"] {
        let has_password = table
            .get(key)
            .and_then(toml::Value::as_str)
            .is_some_and(job_core::store::has_password);
        if has_password && mode & 0o004 != 0 {
            return Err(bad(format!(
                "its {key} holds a password and every user may read the file (mode {:o}): chmod o-r (600 is best)",
                mode & 0o777
            )));
        }
    }
    Ok(table)
}

/// The file's values as defaults of `sc`'s flags, by flag id; an unknown key or a value of the
/// wrong kind is an error naming the key and the file.
fn defaults(
    sc: &Command,
    table: &toml::Table,
    path: &Path,
) -> Result<Vec<(String, Vec<String>)>, ParseError> {
    let bad = |key: &str, why: String| {
        ParseError::Usage(format!("--config {}: key `{key}`: {why}", path.display()))
    };
    let mut out = Vec::new();
    for (key, value) in table {
        let arg = sc
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()) && key != "config");
        let Some(arg) = arg else {
            let known: Vec<&str> = sc
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long())
                .filter(|l| *l != "config")
                .collect();
            return Err(bad(
                key,
                format!(
                    "no such flag of `{}`; the keys are its long flag names: {}",
                    sc.get_name(),
                    known.join(", ")
                ),
            ));
        };
        let values = match (arg.get_action(), value) {
            (ArgAction::SetTrue, toml::Value::Boolean(b)) => vec![b.to_string()],
            (ArgAction::SetTrue, _) => return Err(bad(key, "give true or false".into())),
            (ArgAction::Append, toml::Value::Array(items)) => items
                .iter()
                .map(|v| scalar(v).ok_or_else(|| bad(key, "give strings or numbers".into())))
                .collect::<Result<_, _>>()?,
            (_, toml::Value::Array(_)) => {
                return Err(bad(key, "takes one value, not a list".into()))
            }
            (_, v) => vec![scalar(v).ok_or_else(|| {
                bad(
                    key,
                    "give a string or a whole number (durations: \"90s\")".into(),
                )
            })?],
        };
        out.push((arg.get_id().to_string(), values));
    }
    Ok(out)
}

fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What clap's defaults cannot say: of two exclusive flags, the file's one yields to the other
/// given by flag or environment (both from the file is an error), and whether the Redis URL
/// was on the command line, where every user can read it.
fn settle(cli: &mut Cli, sm: &ArgMatches, from_file: &[String]) -> Result<(), ParseError> {
    let filed = |id: &str| {
        from_file.iter().any(|f| f == id) && sm.value_source(id) == Some(ValueSource::DefaultValue)
    };
    let given = |id: &str| {
        matches!(
            sm.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) && set(sm, id)
    };
    let mut drop: Vec<&str> = Vec::new();
    for (a, b) in EXCLUSIVE {
        if sm.try_contains_id(a).is_err() {
            continue;
        }
        match (filed(a), filed(b)) {
            (true, true) if set(sm, a) && set(sm, b) => {
                return Err(ParseError::Usage(format!(
                    "--config: give one of `{}` and `{}`, not both",
                    a.replace('_', "-"),
                    b.replace('_', "-")
                )))
            }
            (true, false) if given(b) => drop.push(a),
            (false, true) if given(a) => drop.push(b),
            _ => {}
        }
    }
    let argv_url = ["store", "redis_url"]
        .iter()
        .any(|id| sm.value_source(id) == Some(ValueSource::CommandLine));
    let store_env: Vec<&'static str> = ["store", "store_file", "redis_url", "redis_url_file"]
        .into_iter()
        .filter(|id| {
            sm.try_contains_id(id).is_ok() && sm.value_source(id) == Some(ValueSource::EnvVariable)
        })
        .collect();
    match &mut cli.command {
        Cmd::Serve(args) => {
            settle_store(&mut args.store, argv_url, store_env, &drop);
            for id in drop {
                match id {
                    "token_file" => args.token_file = None,
                    "tokens_file" => args.tokens_file = None,
                    "no_token" => args.no_token = false,
                    _ => {}
                }
            }
        }
        Cmd::Worker(args) => settle_store(&mut args.store, argv_url, store_env, &drop),
        Cmd::Openapi => {}
    }
    Ok(())
}

/// The store flags of `serve` and `worker` alike: where the URL came from, and the file's
/// spelling dropped when a flag or variable gave another.
fn settle_store(
    store: &mut crate::cli::StoreArgs,
    argv_url: bool,
    from_env: Vec<&'static str>,
    drop: &[&str],
) {
    store.url_in_argv = argv_url;
    store.from_env = from_env;
    for id in drop {
        match *id {
            "store" => store.store = None,
            "store_file" => store.store_file = None,
            "redis_url" => store.redis_url = None,
            "redis_url_file" => store.redis_url_file = None,
            _ => {}
        }
    }
}

/// Whether a flag ended up with a value (a `false` switch has none that counts).
fn set(sm: &ArgMatches, id: &str) -> bool {
    if id == "no_token" {
        return sm.get_flag(id);
    }
    sm.contains_id(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn argv(a: &[&str]) -> Vec<OsString> {
        std::iter::once("ansible-job-service")
            .chain(a.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        f
    }

    fn serve(cli: Cli) -> crate::cli::ServeArgs {
        match cli.command {
            Cmd::Serve(a) => a,
            _ => panic!("not serve"),
        }
    }

    #[test]
    fn env_names_follow_the_long_flag() {
        assert_eq!(env_name("project-dir"), "AJS_PROJECT_DIR");
        assert_eq!(env_name("workers"), "AJS_WORKERS");
    }

    #[test]
    fn every_flag_of_serve_and_worker_has_its_variable() {
        let cmd = command();
        for sub in CONFIGURED {
            let sc = cmd.find_subcommand(sub).unwrap();
            for a in sc.get_arguments().filter(|a| a.get_long().is_some()) {
                let want = env_name(a.get_long().unwrap());
                assert_eq!(
                    a.get_env().and_then(|e| e.to_str()),
                    Some(want.as_str()),
                    "{sub} --{}",
                    a.get_long().unwrap()
                );
            }
        }
    }

    #[test]
    fn the_file_gives_defaults_and_a_flag_wins() {
        let f = file(
            "project-dir = \"/srv/a\"\nworkers = 8\nlisten = \"0.0.0.0:8443\"\nttl = \"1w\"\n\
             public-url = [\"https://a.example\", \"https://b.example\"]\nno-token = false\n\
             pass-env = [\"AWS_*\"]\n",
        );
        let path = f.path().to_str().unwrap();
        let a =
            serve(parse_from(argv(&["serve", "--config", path, "--workers", "3"]), None).unwrap());
        assert_eq!(a.project_dir, PathBuf::from("/srv/a"));
        assert_eq!(a.workers, 3);
        assert_eq!(a.listen.to_string(), "0.0.0.0:8443");
        assert_eq!(a.ttl, std::time::Duration::from_secs(7 * 86400));
        assert_eq!(a.public_url.len(), 2);
        assert_eq!(a.env.pass_env, ["AWS_*"]);
        // The same file through AJS_CONFIG.
        let a = serve(parse_from(argv(&["serve"]), Some(path.into())).unwrap());
        assert_eq!(a.workers, 8);
    }

    #[test]
    fn unknown_keys_and_wrong_kinds_name_the_key_and_the_file() {
        for (text, needle) in [
            (
                "project-dir = \"/p\"\nworkerz = 3\n",
                "key `workerz`: no such flag",
            ),
            (
                "project-dir = \"/p\"\nno-token = \"yes\"\n",
                "key `no-token`: give true or false",
            ),
            (
                "project-dir = \"/p\"\nlisten = [\"a\"]\n",
                "key `listen`: takes one value",
            ),
            ("project-dir = \"/p\"\nconfig = \"/x\"\n", "key `config`"),
            ("project-dir = /p\n", "line 1:"),
        ] {
            let f = file(text);
            let path = f.path().to_str().unwrap();
            match parse_from(argv(&["serve", "--config", path]), None) {
                Err(ParseError::Usage(m)) => {
                    assert!(m.contains(needle) && m.contains(path), "{text}: {m}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_value_from_the_file_names_the_flag() {
        let f = file("project-dir = \"/p\"\nttl = \"400d\"\n");
        let path = f.path().to_str().unwrap();
        match parse_from(argv(&["serve", "--config", path]), None) {
            Err(ParseError::Clap(e)) => {
                let t = e.to_string();
                assert!(t.contains("--ttl") && t.contains("365d"), "{t}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_password_in_a_world_readable_file_is_refused_and_never_shown() {
        let f = file("project-dir = \"/p\"\nredis-url = \"redis://:s3cret@h:6379\"\n");
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let path = f.path().to_str().unwrap();
        match parse_from(argv(&["serve", "--config", path]), None) {
            Err(ParseError::Usage(m)) => {
                assert!(m.contains("chmod") && !m.contains("s3cret"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let f = file("project-dir = \"/p\"\nredis-url = \"redis://:s3cret@h:6379\"\n");
        let path = f.path().to_str().unwrap();
        let help = match parse_from(argv(&["serve", "--config", path, "--help"]), None) {
            Err(ParseError::Clap(e)) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(
            help.contains("AJS_REDIS_URL") && !help.contains("s3cret"),
            "{help}"
        );
    }

    #[test]
    fn a_flag_beats_the_files_exclusive_other() {
        let f = file("project-dir = \"/p\"\nredis-url = \"redis://h\"\nno-token = true\n");
        let path = f.path().to_str().unwrap();
        let a = serve(
            parse_from(
                argv(&[
                    "serve",
                    "--config",
                    path,
                    "--redis-url-file",
                    "/u",
                    "--token-file",
                    "/t",
                ]),
                None,
            )
            .unwrap(),
        );
        assert_eq!(a.store.redis_url, None);
        assert_eq!(a.store.redis_url_file, Some(PathBuf::from("/u")));
        assert!(!a.no_token);
        assert!(!a.store.url_in_argv);
        let a = serve(parse_from(argv(&["serve", "--config", path]), None).unwrap());
        assert_eq!(a.store.redis_url.as_deref(), Some("redis://h"));
        assert!(a.no_token);
        let a = serve(
            parse_from(
                argv(&["serve", "--project-dir", "/p", "--redis-url", "redis://x"]),
                None,
            )
            .unwrap(),
        );
        assert!(a.store.url_in_argv);
    }

    #[test]
    fn version_on_every_command() {
        for sub in ["serve", "worker", "openapi"] {
            match parse_from(argv(&[sub, "--version"]), None) {
                Err(ParseError::Clap(e)) => {
                    assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion, "{sub}")
                }
                other => panic!("{sub}: {other:?}"),
            }
        }
    }
}
