// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Validated names: everything here ends up in a file name inside the async dir.

use crate::error::{JobError, Result};
use std::fmt;

/// A job id as the async wrapper makes it: `j` (since ansible-core 2.15) + up to 12 digits, a dot,
/// and the pid of the first wrapper process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jid(String);

impl Jid {
    /// Accepts only the wrapper's format, so a jid is always a safe file name.
    pub fn parse(s: &str) -> Result<Jid> {
        let bad = || JobError::BadJid(s.to_string());
        let (prefix, pid) = s.split_once('.').ok_or_else(bad)?;
        let digits = prefix.strip_prefix('j').unwrap_or(prefix);
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(digits) || digits.len() > 12 || !all_digits(pid) || pid.len() > 10 {
            return Err(bad());
        }
        Ok(Jid(s.to_string()))
    }
    /// The jid as given, which is also its job file's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The part the controller chose; the only part the wrapper's argv contains.
    pub fn prefix(&self) -> &str {
        self.0.split_once('.').map_or(self.0.as_str(), |(p, _)| p)
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A job's human name. It becomes the file name `jid_<alias>`, so it must stay one path component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasName(String);

/// Leaves room for the `jid_` prefix and our temp-link suffix within NAME_MAX (255).
pub const MAX_ALIAS_BYTES: usize = safe_fs::MAX_COMPONENT_BYTES;

impl AliasName {
    /// Accepts a name that stays one path component ([`safe_fs::check_component`]).
    pub fn parse(s: &str) -> Result<AliasName> {
        safe_fs::check_component(s).map_err(|why| JobError::BadAlias(s.to_string(), why))?;
        Ok(AliasName(s.to_string()))
    }
    /// The alias as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `jid_<alias>`: the symlink's name in the async dir.
    pub fn file_name(&self) -> String {
        format!("{}{}", ALIAS_PREFIX, self.0)
    }
}

/// What every alias symlink's name starts with, as in the original async_alias module.
pub const ALIAS_PREFIX: &str = "jid_";

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_in_every_wrapper_format() {
        for ok in ["j301638285310.8307", "959330701595.43243", "j1.1"] {
            assert!(Jid::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "j",
            "j12",
            "j12.",
            ".12",
            "j12.3x",
            "../j1.2",
            "j1.2/x",
            "j1234567890123.1",
            "jj1.2",
            "j1.2.3",
        ] {
            assert!(Jid::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Jid::parse("j301638285310.8307").unwrap().prefix(),
            "j301638285310"
        );
    }

    #[test]
    fn aliases_stay_one_path_component() {
        for ok in ["blah", "deploy v2.1", "db-migration_3", "ünïcødé"] {
            assert!(AliasName::parse(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(MAX_ALIAS_BYTES + 1);
        for bad in [
            "",
            "../x",
            "a/b",
            "..",
            "a..b",
            ".",
            "nul\0x",
            "new\nline",
            long.as_str(),
        ] {
            assert!(AliasName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(AliasName::parse("blah").unwrap().file_name(), "jid_blah");
    }
}
