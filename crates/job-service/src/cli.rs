// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The command line, as the contract gives it. Usage errors exit 2 and name the flag and the fix.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::logging::LogFormat;

#[derive(Parser, Debug)]
#[command(
    name = "ansible-job-service",
    version,
    propagate_version = true,
    about = "An HTTP API that runs Ansible playbooks as jobs."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at start; boxing buys nothing"
)]
pub enum Command {
    /// Serve the API and run jobs in this process (embedded SQLite store, or a shared one).
    Serve(ServeArgs),
    /// Run jobs from the shared store (Redis) an API process uses, on any machine that reaches it.
    Worker(WorkerArgs),
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Playbooks are taken from this directory only; ansible-playbook runs in it.
    #[arg(long, value_name = "DIR")]
    pub project_dir: PathBuf,
    /// Address to listen on. --no-token is refused on any address but loopback.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8089")]
    pub listen: SocketAddr,
    /// Store and job directories [default: $STATE_DIRECTORY under systemd,
    /// /var/lib/ansible-job-service for root, else $XDG_STATE_HOME/ansible-job-service].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Playbooks run at once in this process.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub workers: usize,
    #[command(flatten)]
    pub store: StoreArgs,
    /// With Redis: a worker silent for this long has its running jobs ended failed/lost.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    pub lease: Duration,
    /// A file holding the bearer token clients must send (mode 0600, this user's)
    /// [default: <data-dir>/token, generated at the first start].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Tokens with names and scopes, one `name scope secret` line each (scope read, submit or
    /// admin; mode 0600, this user's). With it, no token is generated; --token-file may be
    /// given too (its token is named `default`, scope admin). SIGHUP reads both again.
    #[arg(long, value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,
    /// Serve without a token, on loopback only: every local user can then run playbooks as
    /// this user. Logged as a warning at every start.
    #[arg(long, conflicts_with_all = ["token_file", "tokens_file"])]
    pub no_token: bool,
    /// An extra var name, or a glob of names (`*`, `?`, any case), whose value no answer shows
    /// (`"<secret>"` with ?include=extra_vars). Repeatable; adds to the defaults *password*,
    /// *passwd*, *secret*, *token*, *credential*, *private_key*, *api_key*.
    #[arg(long, value_name = "PATTERN", value_parser = crate::api::secret_vars::pattern, value_delimiter = ',')]
    pub secret_var: Vec<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// How long a job is kept after it ended (s, m, h, d).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = duration)]
    pub ttl: Duration,
    /// The ansible-playbook to run [default: the one in PATH at start].
    #[arg(long, value_name = "PATH")]
    pub ansible_playbook: Option<PathBuf>,
    /// The longest `?sync=true` or `?wait=N` holds a request.
    #[arg(long, value_name = "DURATION", default_value = "600s", value_parser = duration)]
    pub sync_max: Duration,
    /// Between TERM and KILL of a canceled or timed-out run.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub grace: Duration,
    /// Bytes of stdout kept per job; beyond it, the tail.
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024)]
    pub stdout_cap: u64,
    /// Bytes of one line of the run's event channel; a longer line is dropped and counted on
    /// the job (`dropped_events`). The callback cuts names and messages, so only the stats line
    /// of a very large inventory (about 130 bytes a host) comes near the default.
    #[arg(long, value_name = "BYTES", default_value_t = job_runner::MAX_EVENT_LINE as u64,
          value_parser = clap::value_parser!(u64).range(1024..=1 << 30))]
    pub event_line_max: u64,
    /// A URL clients reach the service by (a DNS name, a proxy in front): its host is accepted
    /// in `Host` and its origin in `Origin`. Repeatable. Without it only addresses and
    /// `localhost` are.
    #[arg(long, value_name = "URL", value_parser = crate::api::guard::public_url, value_delimiter = ',')]
    pub public_url: Vec<crate::api::guard::PublicUrl>,
    /// A web origin (scheme://host[:port]) whose pages may call the API; answers to it carry
    /// CORS headers naming it. Repeatable. No other origin is allowed.
    #[arg(long, value_name = "ORIGIN", value_parser = crate::api::guard::allowed_origin, value_delimiter = ',')]
    pub allowed_origin: Vec<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// How the process logs; `serve` and `worker` take the same flag.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct LogArgs {
    /// How log lines on stderr look: `text` for a person, `json` for a log collector (one object
    /// a line). Levels come from RUST_LOG (default info; e.g. RUST_LOG=access=warn,info).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Command {
    /// The log format the command asked for; `openapi` logs nothing of note and takes none.
    pub fn log_format(&self) -> LogFormat {
        match self {
            Command::Serve(a) => a.log.log_format,
            Command::Worker(a) => a.log.log_format,
            Command::Openapi => LogFormat::Text,
        }
    }
}

/// The configuration file; `serve` and `worker` read it the same way (see config.rs).
#[derive(clap::Args, Debug, Clone)]
pub struct ConfigArgs {
    /// A TOML file of flags: keys are the long flag names (`workers = 8`, repeatable flags as
    /// arrays). A flag on the command line wins, then its AJS_ variable, then the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What reaches ansible-playbook from the service's environment beyond the built-in
/// allow-list; `serve` and `worker` take the same flag.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct EnvArgs {
    /// Pass this variable of the service's environment to ansible-playbook too (repeatable;
    /// `*` matches any run of characters: `AWS_*`, `*_PROXY`).
    #[arg(long, value_name = "NAME", value_parser = crate::runtime::invocation::pass_env_pattern, value_delimiter = ',')]
    pub pass_env: Vec<String>,
}

/// HTTPS in the service itself, instead of a proxy in front.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// The certificate chain (PEM), the server's first; reloaded on SIGHUP.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM, PKCS#8, PKCS#1 or SEC1), readable by this user only; reloaded on
    /// SIGHUP.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// What the operator lets clients do beyond the safe defaults; `serve` and `worker` take the
/// same flags, and each process applies its own (a worker writes the vars file and checks the
/// inventory again before a run).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct TrustArgs {
    /// Render Jinja templates in clients' extra vars (by default they are data: every string that
    /// could hold a template is marked !unsafe). A client can then run any command on this machine.
    #[arg(long)]
    pub allow_templates_in_extra_vars: bool,
    /// Accept inventory files with an execute bit, which ansible-playbook runs as dynamic
    /// inventory scripts (refused by default).
    #[arg(long)]
    pub allow_inventory_scripts: bool,
}

/// Where the jobs live (`--store URL`) and what is asked of a shared store; `serve` (optional:
/// the embedded store by default) and `worker` (a shared store required) take them. The URL may
/// carry a password, and a command line is readable by every user of the machine
/// (/proc/PID/cmdline): hence the file and the environment variable. `--redis-url`,
/// `--redis-url-file` and `AJS_REDIS_URL` are the older spellings of the Redis form.
#[derive(clap::Args, Debug, Clone)]
pub struct StoreArgs {
    /// Where jobs live: sqlite:PATH (the embedded store of this one process) or
    /// redis://[:password@]host[:port][/db] (shared by API processes and workers on many
    /// machines) [default: sqlite:<data-dir>/jobs.sqlite3]. With a password, prefer
    /// --store-file or AJS_STORE.
    #[arg(long, value_name = "URL", hide_env_values = true,
          conflicts_with_all = ["store_file", "redis_url", "redis_url_file"])]
    pub store: Option<String>,
    /// Read the store URL from the first line of this file (not readable by other users).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["redis_url", "redis_url_file"])]
    pub store_file: Option<PathBuf>,
    /// The same as --store with a redis:// URL (the older spelling).
    #[arg(long, value_name = "URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// The --store or --redis-url URL was given on the command line (not the environment or
    /// the config file), where every user can read it: set by config.rs, for the warning.
    #[arg(skip)]
    pub url_in_argv: bool,
    /// The store flags whose value came from their `AJS_` variable (set by config.rs): messages
    /// name the variable the operator set, not a flag they never gave.
    #[arg(skip)]
    pub from_env: Vec<&'static str>,
    /// The same as --store-file, for a redis:// URL (the older spelling).
    #[arg(long, value_name = "FILE", conflicts_with = "redis_url")]
    pub redis_url_file: Option<PathBuf>,
    /// Accept a Redis that keeps nothing on disk (appendonly no, save ""): a restart of it
    /// loses every job.
    #[arg(long)]
    pub redis_volatile: bool,
    /// How often Redis's settings and epoch are checked while running (tests shorten it).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration, hide = true)]
    pub redis_check_every: Duration,
}

/// How long a connection may take and how many may be open, so that slow or idle clients
/// cannot hold every file descriptor.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct LimitArgs {
    /// A request's headers must have arrived this long after the connection opened, or after
    /// their first byte on a kept-alive connection.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub header_timeout: Duration,
    /// A request's body must have arrived whole this long after its headers, or it is answered
    /// 408 and the connection closed.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    pub body_timeout: Duration,
    /// A kept-alive connection with no request for this long is closed.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    pub idle_timeout: Duration,
    /// Connections open at once; beyond it new ones wait in the listen backlog
    /// [default: derived from the open-file limit, leaving room for job pipes and the store].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Requests held open at once (`?wait=`, `?sync=true`, event streams); beyond it they are
    /// answered 503 with Retry-After [default: half of --max-connections].
    #[arg(long, value_name = "N")]
    pub max_long_polls: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The project, as the API process has it: playbooks are resolved in it again here.
    #[arg(long, value_name = "DIR")]
    pub project_dir: PathBuf,
    /// Playbooks run at once by this worker.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Job directories and the callback plugin [default: as for serve].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The ansible-playbook to run [default: the one in PATH at start].
    #[arg(long, value_name = "PATH")]
    pub ansible_playbook: Option<PathBuf>,
    /// Between TERM and KILL of a canceled or timed-out run; also how long SIGTERM lets runs end.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub grace: Duration,
    /// A worker silent for this long has its running jobs ended failed/lost; it stops them
    /// itself when it could not renew the lease for that long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    pub lease: Duration,
    /// Bytes of one line of the run's event channel; a longer line is dropped and counted on
    /// the job (`dropped_events`). The callback cuts names and messages, so only the stats line
    /// of a very large inventory (about 130 bytes a host) comes near the default.
    #[arg(long, value_name = "BYTES", default_value_t = job_runner::MAX_EVENT_LINE as u64,
          value_parser = clap::value_parser!(u64).range(1024..=1 << 30))]
    pub event_line_max: u64,
    /// This worker's name in jobs' `worker` field [default: the host name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The longest duration any flag takes: far beyond any sensible timeout, and far below what
/// `Instant + d` can hold (an overflow there panics on every connection).
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

/// humantime's forms (`90s`, `15m`, `1h 30m`, `1w`); a bare number is seconds, as before
/// humantime; at most 365d.
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let d = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("{s:?} is too long: give at most 365d"))?
    } else {
        humantime::parse_duration(s).map_err(|e| match e {
            humantime::DurationError::NumberOverflow => {
                format!("{s:?} is too long: give at most 365d")
            }
            e => format!("{s:?} is not a duration ({e}): write 90s, 15m, 1h 30m, 24h, 7d or 1w"),
        })?
    };
    if d > MAX_DURATION {
        return Err(format!("{s:?} is too long: give at most 365d"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("24h"), Ok(Duration::from_secs(86400)));
        assert_eq!(duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(duration("1w"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert!(duration("1x").is_err());
        assert!(duration("-5").is_err());
        assert!(duration("h").is_err());
        assert!(duration("").is_err());
        assert_eq!(duration("365d"), Ok(MAX_DURATION));
        assert!(duration("366d").is_err());
        assert!(duration("31536001").is_err());
        assert!(duration("200000000000000d").is_err());
    }

    #[test]
    fn a_duration_flag_too_long_is_a_usage_error_naming_the_flag() {
        let e = Cli::try_parse_from([
            "ansible-job-service",
            "serve",
            "--project-dir",
            "/p",
            "--idle-timeout",
            "200000000000000d",
        ])
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(
            text.contains("--idle-timeout") && text.contains("at most 365d"),
            "{text}"
        );
    }
}
