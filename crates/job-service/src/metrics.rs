// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What `/metrics` shows: this process's counters, gauges and histograms, and the store's counts
//! read at each scrape. prometheus-client writes the OpenMetrics text; every update on a request
//! or a run is an atomic add (counters, gauges) or one short lock (a histogram, once per job).

use std::sync::atomic::{AtomicU64, Ordering};

use job_core::Status;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The content type of the answer, as scrapers ask for it (Prometheus, VictoriaMetrics and the
/// OpenTelemetry collector all send `Accept: application/openmetrics-text`).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Queue wait, seconds: an idle service starts a job in milliseconds, a busy one in minutes.
const QUEUE_WAIT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 120.0, 600.0, 3600.0,
];
/// Run duration, seconds: from a one-task play (about 1 s) to a long deployment.
const RUN_BUCKETS: [f64; 14] = [
    0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0,
];

type Labels = [(&'static str, &'static str); 1];

pub struct Metrics {
    pub submitted: Counter,
    pub attached: Counter,
    pub conflicts: Counter,
    pub refused: Counter,
    pub started: Counter,
    /// Runs in progress in this process: its busy workers.
    pub running: Gauge,
    /// Workers of this process, busy or not.
    pub workers: Gauge,
    /// Event lines of this process's runs that the reader did not keep.
    pub events_dropped: Counter,
    pub http_refused: crate::api::guard::Refusals,
    /// From submission to a worker's claim, seconds.
    pub queue_wait: Histogram,
    /// From a worker's claim to the job's end, seconds.
    pub run_duration: Histogram,
    /// Jobs this process ended (its workers, a cancel of a pending job, the reaper), by status.
    finished: Family<Labels, Counter>,
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A counter `Metrics::add` can bump: the registry's own, or a bare atomic (`guard::Refusals`).
pub trait Tally {
    fn bump(&self);
}

impl Tally for Counter {
    fn bump(&self) {
        self.inc();
    }
}

impl Tally for AtomicU64 {
    fn bump(&self) {
        self.fetch_add(1, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn new() -> Self {
        let m = Metrics {
            submitted: Counter::default(),
            attached: Counter::default(),
            conflicts: Counter::default(),
            refused: Counter::default(),
            started: Counter::default(),
            running: Gauge::default(),
            workers: Gauge::default(),
            events_dropped: Counter::default(),
            http_refused: crate::api::guard::Refusals::default(),
            queue_wait: Histogram::new(QUEUE_WAIT_BUCKETS),
            run_duration: Histogram::new(RUN_BUCKETS),
            finished: Family::default(),
            registry: Registry::default(),
        };
        // Every final status shows from the start, at 0: a rate over a series that appears with
        // its first job would miss that job.
        for status in Status::ALL.into_iter().filter(|s| s.is_final()) {
            let _ = m.finished.get_or_create(&[("status", status.as_str())]);
        }
        m.register()
    }

    /// The registry holds clones: each metric is an `Arc` inside, so both see every update.
    fn register(mut self) -> Self {
        let r = &mut self.registry;
        // Counter names go in without `_total`: the encoder adds it, as OpenMetrics wants.
        r.register(
            "ajs_submitted",
            "Jobs created by POST",
            self.submitted.clone(),
        );
        r.register(
            "ajs_attached",
            "POSTs answered with the name's job",
            self.attached.clone(),
        );
        r.register(
            "ajs_conflicts",
            "POSTs refused: the name is held with another payload",
            self.conflicts.clone(),
        );
        r.register(
            "ajs_refused",
            "POSTs refused with a 4xx",
            self.refused.clone(),
        );
        r.register(
            "ajs_runs_started",
            "Runs started by this process's workers",
            self.started.clone(),
        );
        r.register(
            "ajs_events_dropped",
            "Event lines of this process's runs not kept: longer than --event-line-max, or not a JSON object",
            self.events_dropped.clone(),
        );
        r.register(
            "ajs_runs_active",
            "Runs in progress in this process (the same as ajs_workers_busy)",
            self.running.clone(),
        );
        r.register(
            "ajs_workers_busy",
            "Workers of this process running a playbook",
            self.running.clone(),
        );
        r.register(
            "ajs_workers",
            "Workers of this process, busy or not",
            self.workers.clone(),
        );
        r.register(
            "ajs_jobs_finished",
            "Jobs this process ended, by final status: its runs, cancels of pending jobs, the reaper's lost jobs",
            self.finished.clone(),
        );
        r.register_with_unit(
            "ajs_queue_wait",
            "From submission to a worker's claim, for the jobs this process's workers claimed",
            Unit::Seconds,
            self.queue_wait.clone(),
        );
        r.register_with_unit(
            "ajs_run_duration",
            "From a worker's claim to the job's end, for the jobs this process ended after they started",
            Unit::Seconds,
            self.run_duration.clone(),
        );
        self
    }

    pub fn add(counter: &impl Tally) {
        counter.bump();
    }

    /// One more job ended in `status`.
    pub fn finished(&self, status: Status) {
        self.finished
            .get_or_create(&[("status", status.as_str())])
            .inc();
    }

    /// The whole answer of `/metrics`: this process's metrics, then the store's `counts`.
    pub fn encode(&self, counts: &[(Status, u64)]) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(8 * 1024);
        encode_registry(&mut out, &self.registry)?;
        // What the store holds is read at each scrape, so it lives in a registry of the scrape.
        let mut scrape = Registry::default();
        let jobs = Family::<Labels, Gauge>::default();
        let mut pending = 0;
        for (status, n) in counts {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            jobs.get_or_create(&[("status", status.as_str())]).set(n);
            if *status == Status::Pending {
                pending = n;
            }
        }
        scrape.register("ajs_jobs", "Jobs in the store, by status", jobs);
        let depth = Gauge::<i64>::default();
        depth.set(pending);
        scrape.register(
            "ajs_queue_depth",
            "Jobs waiting for a worker (pending), in the store: every process's",
            depth,
        );
        let refused = Family::<Labels, Counter>::default();
        let r = &self.http_refused;
        for (reason, c) in [
            ("host", &r.host),
            ("origin", &r.origin),
            ("content_type", &r.content_type),
        ] {
            refused
                .get_or_create(&[("reason", reason)])
                .inc_by(c.load(Ordering::Relaxed));
        }
        scrape.register(
            "ajs_http_refused",
            "Requests refused before any handler: a Host that does not name the service, another web origin, a POST that is not JSON",
            refused,
        );
        encode_registry(&mut out, &scrape)?;
        encode_eof(&mut out)?;
        Ok(out)
    }
}

/// Seconds from `from` to `to` (µs since the epoch), never below 0: with Redis the two may
/// come from clocks of different machines.
pub fn seconds_between(from: i64, to: i64) -> f64 {
    let us = to.saturating_sub(from).max(0);
    // Exact below 2^53 µs (285 years).
    #[allow(clippy::cast_precision_loss)]
    let s = us as f64 / 1e6;
    s
}

/// For a log line: a duration in seconds, to the millisecond.
pub fn rounded(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_keep_their_names_and_the_histograms_count() {
        let m = Metrics::new();
        Metrics::add(&m.submitted);
        Metrics::add(&m.http_refused.origin);
        m.queue_wait.observe(0.2);
        m.run_duration.observe(3.0);
        m.finished(Status::Successful);
        let text = m
            .encode(&[(Status::Pending, 2), (Status::Running, 1)])
            .unwrap();
        for line in [
            "ajs_submitted_total 1",
            "ajs_runs_active 0",
            "ajs_http_refused_total{reason=\"origin\"} 1",
            "ajs_jobs{status=\"pending\"} 2",
            "ajs_queue_depth 2",
            "ajs_queue_wait_seconds_count 1",
            "ajs_run_duration_seconds_bucket{le=\"5.0\"} 1",
            "ajs_jobs_finished_total{status=\"successful\"} 1",
            "ajs_jobs_finished_total{status=\"canceled\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn help_lines_end_in_one_full_stop() {
        // The encoder ends every HELP with its own `.`: a help string must not bring one.
        let text = Metrics::new().encode(&[]).unwrap();
        let helps: Vec<&str> = text.lines().filter(|l| l.starts_with("# HELP ")).collect();
        assert!(helps.len() >= 14, "{text}");
        for l in helps {
            assert!(l.ends_with('.') && !l.ends_with(".."), "{l}");
        }
    }

    #[test]
    fn seconds_are_never_negative() {
        assert!((seconds_between(2_000_000, 1_000_000)).abs() < f64::EPSILON);
        assert!((seconds_between(1_000_000, 3_500_000) - 2.5).abs() < 1e-9);
        assert!((rounded(1.23456) - 1.235).abs() < 1e-9);
    }
}
