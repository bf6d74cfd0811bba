// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Declarative option specs, the Rust twin of an `argument_spec` dict.

use serde_json::Value;

/// Option types, named after AnsibleModule's `type=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `str`: any scalar, turned into text as Python's `str()` would.
    Str,
    /// `bool`: booleans, and AnsibleModule's words and numbers for them (`yes`, `off`, `1`, ...).
    Bool,
    /// `int`: integers, and strings or floats with no fractional part.
    Int,
    /// `float`: numbers, booleans, and strings that parse as a number.
    Float,
    /// `dict`: an object, converted from other forms the way AnsibleModule does.
    Dict,
    /// `list`: an array, converted from other forms the way AnsibleModule does.
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
    /// The option's name in the task.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Missing or null is an error.
    pub required: bool,
    /// The value when the task leaves it out.
    pub default: Option<Value>,
    /// The only values allowed; empty for any.
    pub choices: &'static [&'static str],
    /// Masked in `invocation`, as AnsibleModule masks secrets.
    pub no_log: bool,
}

impl Opt {
    /// An optional option of `kind`, no default, no choices. The shorthands below name the kind.
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
    /// A `str` option.
    pub fn str(name: &'static str) -> Self {
        Self::new(name, Kind::Str)
    }
    /// A `bool` option.
    pub fn bool(name: &'static str) -> Self {
        Self::new(name, Kind::Bool)
    }
    /// An `int` option.
    pub fn int(name: &'static str) -> Self {
        Self::new(name, Kind::Int)
    }
    /// A `float` option.
    pub fn float(name: &'static str) -> Self {
        Self::new(name, Kind::Float)
    }
    /// A `dict` option.
    pub fn dict(name: &'static str) -> Self {
        Self::new(name, Kind::Dict)
    }
    /// A `list` option.
    pub fn list(name: &'static str) -> Self {
        Self::new(name, Kind::List)
    }
    /// A `raw` option: any JSON value, untouched.
    pub fn raw(name: &'static str) -> Self {
        Self::new(name, Kind::Raw)
    }
    /// Makes the option required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Sets the default; the spec is its only owner.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }
    /// Restricts the option to these values.
    pub fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
    /// Masks the value in `invocation`.
    pub fn no_log(mut self) -> Self {
        self.no_log = true;
        self
    }
}

/// A module's whole argument spec with the cross-option rules AnsibleModule knows.
#[derive(Clone, Debug, Default)]
pub struct ArgSpec {
    /// Every option the module accepts; anything else is refused.
    pub options: Vec<Opt>,
    /// Groups of which at most one may be given.
    pub mutually_exclusive: Vec<Vec<&'static str>>,
    /// Groups of which at least one must be given.
    pub required_one_of: Vec<Vec<&'static str>>,
    /// Groups given all together or not at all.
    pub required_together: Vec<Vec<&'static str>>,
}

impl ArgSpec {
    /// A spec with these options and no cross-option rules.
    pub fn new(options: Vec<Opt>) -> Self {
        ArgSpec {
            options,
            ..Default::default()
        }
    }
    /// Adds a `mutually_exclusive` group.
    pub fn mutually_exclusive(mut self, group: &[&'static str]) -> Self {
        self.mutually_exclusive.push(group.to_vec());
        self
    }
    /// Adds a `required_one_of` group.
    pub fn required_one_of(mut self, group: &[&'static str]) -> Self {
        self.required_one_of.push(group.to_vec());
        self
    }
    /// Adds a `required_together` group.
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
