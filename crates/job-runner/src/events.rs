// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! JSON lines from the child's fd 3.

use serde_json::Value;

/// One line of the event channel: a JSON object, or a line that is not one (bad JSON, not an
/// object, or longer than the cap).
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    Event(Value),
    Bad,
}

/// Splits the byte stream of fd 3 into lines. A line longer than `max` is not kept in memory: its
/// bytes are skipped up to its newline and it counts as one bad line.
pub(crate) struct Lines {
    buf: Vec<u8>,
    overlong: bool,
    max: usize,
}

impl Lines {
    pub fn new(max: usize) -> Lines {
        Lines {
            buf: Vec::new(),
            overlong: false,
            max,
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<Line>) {
        while let Some(nl) = chunk.iter().position(|&b| b == b'\n') {
            self.take(&chunk[..nl]);
            out.extend(self.end_line());
            chunk = &chunk[nl + 1..];
        }
        self.take(chunk);
    }

    /// At EOF: a last line without its newline still counts.
    pub fn finish(&mut self, out: &mut Vec<Line>) {
        out.extend(self.end_line());
    }

    fn take(&mut self, part: &[u8]) {
        if self.overlong {
            return;
        }
        if self.buf.len() + part.len() > self.max {
            self.overlong = true;
            self.buf = Vec::new();
        } else {
            self.buf.extend_from_slice(part);
        }
    }

    fn end_line(&mut self) -> Option<Line> {
        if std::mem::take(&mut self.overlong) {
            return Some(Line::Bad);
        }
        let line = std::mem::take(&mut self.buf);
        // Blank lines carry nothing and are no error.
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(match serde_json::from_slice::<Value>(&line) {
            Ok(v @ Value::Object(_)) => Line::Event(v),
            _ => Line::Bad,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn split(chunks: &[&[u8]], max: usize) -> Vec<Line> {
        let mut lines = Lines::new(max);
        let mut out = Vec::new();
        for c in chunks {
            lines.feed(c, &mut out);
        }
        lines.finish(&mut out);
        out
    }

    #[test]
    fn lines_across_chunks() {
        let out = split(&[b"{\"a\":", b"1}\n{\"b\"", b":2}\n\n{\"c\":3}"], 100);
        assert_eq!(
            out,
            vec![
                Line::Event(json!({"a": 1})),
                Line::Event(json!({"b": 2})),
                Line::Event(json!({"c": 3}))
            ]
        );
    }

    #[test]
    fn bad_and_overlong_lines() {
        let long = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(50));
        let out = split(
            &[
                b"nope\n[1]\n",
                long.as_bytes(),
                b"{\"ok\":true}\n",
                b"{\"cut\":",
            ],
            20,
        );
        assert_eq!(
            out,
            vec![
                Line::Bad,
                Line::Bad,
                Line::Bad,
                Line::Event(json!({"ok": true})),
                Line::Bad
            ]
        );
    }

    #[test]
    fn a_line_of_exactly_max_is_kept() {
        let out = split(&[b"{\"a\":1}\n"], 7);
        assert_eq!(out, vec![Line::Event(json!({"a": 1}))]);
        let out = split(&[b"{\"a\":1", b"}\n"], 6);
        assert_eq!(out, vec![Line::Bad]);
    }
}
