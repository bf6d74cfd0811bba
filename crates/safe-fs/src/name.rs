// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Names that become one path component (a file name, an object-name segment).

/// NAME_MAX is 255; callers add prefixes, suffixes and temp names of their own.
pub const MAX_COMPONENT_BYTES: usize = 200;

/// Why a name cannot be one path component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadComponent {
    /// The empty name.
    #[error("it is empty")]
    Empty,
    /// More than [`MAX_COMPONENT_BYTES`].
    #[error("it is longer than 200 bytes")]
    TooLong,
    /// A `/` would make it two components.
    #[error("it contains '/'")]
    Slash,
    /// `..` anywhere, or `.` alone, could name another directory.
    #[error("it contains '..' or is '.'")]
    Dots,
    /// NUL ends a C path; other control characters break messages and logs.
    #[error("it contains a NUL or another control character")]
    Control,
}

/// Checks that `value` stays one path component, whatever is put around it.
pub fn check_component(value: &str) -> Result<(), BadComponent> {
    if value.is_empty() {
        Err(BadComponent::Empty)
    } else if value.len() > MAX_COMPONENT_BYTES {
        Err(BadComponent::TooLong)
    } else if value.contains('/') {
        Err(BadComponent::Slash)
    } else if value == "." || value.contains("..") {
        Err(BadComponent::Dots)
    } else if value.chars().any(char::is_control) {
        Err(BadComponent::Control)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_component_whatever_the_input() {
        for ok in ["blah", "deploy v2.1", "a.b", "ünïcødé", ".hidden"] {
            assert_eq!(check_component(ok), Ok(()), "{ok}");
        }
        let long = "x".repeat(MAX_COMPONENT_BYTES + 1);
        for (bad, why) in [
            ("", BadComponent::Empty),
            (long.as_str(), BadComponent::TooLong),
            ("a/b", BadComponent::Slash),
            ("../x", BadComponent::Slash),
            ("..", BadComponent::Dots),
            (".", BadComponent::Dots),
            ("a..b", BadComponent::Dots),
            ("nul\0x", BadComponent::Control),
            ("new\nline", BadComponent::Control),
        ] {
            assert_eq!(check_component(bad), Err(why), "{bad:?}");
        }
        assert!(check_component(&"é".repeat(100)).is_ok());
        assert_eq!(
            check_component(&"é".repeat(101)),
            Err(BadComponent::TooLong)
        );
    }
}
