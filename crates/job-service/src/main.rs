// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! ansible-job-service: an HTTP API that runs Ansible playbooks as jobs.

use std::process::ExitCode;

use job_service::config::{self, ParseError};
use job_service::{cli, cmd, logging, CommandError};

fn main() -> ExitCode {
    // SIGHUP's default action ends the process: taken before anything else (the runtime first,
    // as tokio's signal handling needs one), so that a reload sent during the start is no exit.
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ansible-job-service: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(CommandError::Usage(msg) | CommandError::Runtime(msg)) = {
        let _in = rt.enter();
        cmd::hangup::take(None)
    } {
        eprintln!("ansible-job-service: {msg}");
        return ExitCode::from(1);
    }
    let cli = match config::parse() {
        Ok(c) => c,
        Err(ParseError::Clap(e)) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
        Err(ParseError::Usage(msg)) => {
            eprintln!("ansible-job-service: {msg}");
            return ExitCode::from(2);
        }
    };
    if let Err(CommandError::Usage(msg) | CommandError::Runtime(msg)) =
        logging::init(cli.command.log_format())
    {
        eprintln!("ansible-job-service: {msg}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        cli::Command::Openapi => cmd::openapi::openapi(),
        cli::Command::Worker(args) => rt.block_on(cmd::worker::worker(args)),
        cli::Command::Serve(args) => rt.block_on(cmd::serve::serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CommandError::Usage(msg)) => {
            eprintln!("ansible-job-service: {msg}");
            ExitCode::from(2)
        }
        Err(CommandError::Runtime(msg)) => {
            eprintln!("ansible-job-service: {msg}");
            ExitCode::from(1)
        }
    }
}
