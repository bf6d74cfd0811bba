// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Declarative option specs, the Rust twin of an `argument_spec` dict.

use serde_json::Value;

/// Option types, named after AnsibleModule's `type=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Int,
    Float,
    Dict,
    List,
    /// Any JSON value, passed through untouched.
    Raw,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Str => "str",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Dict => "dict",
            Kind::List => "list",
            Kind::Raw => "raw",
        }
    }
}

/// One option of a module.
#[derive(Clone, Debug)]
pub struct Opt {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub default: Option<Value>,
    pub choices: &'static [&'static str],
    pub no_log: bool,
}

impl Opt {
    pub fn new(name: &'static str, kind: Kind) -> Self {
        Opt {
            name,
            kind,
            required: false,
            default: None,
            choices: &[],
            no_log: false,
        }
    }
    pub fn str(name: &'static str) -> Self {
        Self::new(name, Kind::Str)
    }
    pub fn bool(name: &'static str) -> Self {
        Self::new(name, Kind::Bool)
    }
    pub fn int(name: &'static str) -> Self {
        Self::new(name, Kind::Int)
    }
    pub fn float(name: &'static str) -> Self {
        Self::new(name, Kind::Float)
    }
    pub fn dict(name: &'static str) -> Self {
        Self::new(name, Kind::Dict)
    }
    pub fn list(name: &'static str) -> Self {
        Self::new(name, Kind::List)
    }
    pub fn raw(name: &'static str) -> Self {
        Self::new(name, Kind::Raw)
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }
    pub fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
    pub fn no_log(mut self) -> Self {
        self.no_log = true;
        self
    }
}

/// A module's whole argument spec with the cross-option rules AnsibleModule knows.
#[derive(Clone, Debug, Default)]
pub struct ArgSpec {
    pub options: Vec<Opt>,
    pub mutually_exclusive: Vec<Vec<&'static str>>,
    pub required_one_of: Vec<Vec<&'static str>>,
    pub required_together: Vec<Vec<&'static str>>,
}

impl ArgSpec {
    pub fn new(options: Vec<Opt>) -> Self {
        ArgSpec {
            options,
            ..Default::default()
        }
    }
    pub fn mutually_exclusive(mut self, group: &[&'static str]) -> Self {
        self.mutually_exclusive.push(group.to_vec());
        self
    }
    pub fn required_one_of(mut self, group: &[&'static str]) -> Self {
        self.required_one_of.push(group.to_vec());
        self
    }
    pub fn required_together(mut self, group: &[&'static str]) -> Self {
        self.required_together.push(group.to_vec());
        self
    }
    /// Exactly one of the group: the common `jid` or `alias` case.
    pub fn exactly_one_of(self, group: &[&'static str]) -> Self {
        self.mutually_exclusive(group).required_one_of(group)
    }
    pub(crate) fn get(&self, name: &str) -> Option<&Opt> {
        self.options.iter().find(|o| o.name == name)
    }
}
