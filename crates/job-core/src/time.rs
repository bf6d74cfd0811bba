// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Timestamps: microseconds since the epoch inside, RFC 3339 UTC outside.

use chrono::{DateTime, SecondsFormat, Utc};

/// The current time, µs since the epoch: the unit of every timestamp a store keeps.
pub fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

/// `micros` (µs since the epoch) as RFC 3339 in UTC with microseconds, as the API shows it.
/// A value out of chrono's range shows as the epoch.
pub fn rfc3339(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_micros() {
        assert_eq!(
            rfc3339(1_700_000_000_123_456),
            "2023-11-14T22:13:20.123456Z"
        );
    }
}
