// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Who may call the API: bearer tokens, each with a name and a scope.

pub mod bearer;
pub mod token;
pub mod tokens;

/// Who made a request: the name of the token it carried and what that token may do. The bearer
/// check puts it into the request's extensions (handlers read it: a job records its submitter)
/// and into the response's (the access log names it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub scope: Scope,
}

/// What a token may do; each scope includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// GET of jobs, events, stdout; metrics.
    Read,
    /// Read, plus POST of jobs and cancel.
    Submit,
    /// Everything.
    Admin,
}
