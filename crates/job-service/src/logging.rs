// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where log lines go and how they look: stderr, `text` for a person or `json` for a log
//! collector (one object per line), levels from `RUST_LOG` (default `info`). Colour only when
//! stderr is a terminal: escape codes in a file or a journal are noise.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::CommandError;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-01-02T03:04:05.678Z  INFO target: message key=value`.
    #[default]
    Text,
    /// One JSON object a line: `timestamp`, `level`, `target`, `message`, the fields, and
    /// `span` (an access line's `method` and `path`).
    Json,
}

/// Installs the process's subscriber. A `RUST_LOG` that does not parse is a usage error: a
/// filter silently replaced by the default would hide what the operator asked to see.
pub fn init(format: LogFormat) -> Result<(), CommandError> {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init();
        }
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    Ok(())
}

fn filter(rust_log: Option<&str>) -> Result<EnvFilter, CommandError> {
    match rust_log.map(str::trim) {
        None | Some("") => Ok(EnvFilter::new("info")),
        Some(spec) => EnvFilter::builder().parse(spec).map_err(|e| {
            CommandError::Usage(format!(
                "RUST_LOG={spec:?}: {e}; write a level (info) or target=level pairs (access=warn,info)"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_is_checked() {
        assert!(filter(None).is_ok());
        assert!(filter(Some("access=warn,info")).is_ok());
        assert!(filter(Some("job=debug")).is_ok());
        let Err(CommandError::Usage(msg)) = filter(Some("access=loud")) else {
            panic!("a bad level must be a usage error");
        };
        assert!(msg.contains("RUST_LOG"), "{msg}");
    }
}
