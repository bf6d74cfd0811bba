// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A job's events: a JSON page, or a live SSE stream that ends once the job ended.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, Stream};
use job_core::{Event, JobId};
use serde_json::Value;
use tokio::sync::OwnedSemaphorePermit;

use super::error::ApiError;
use super::extract::{whole, EventsQuery, JobPath, Params};
use super::view::EventList;
use super::ApiConfig;
use crate::state::AppState;

const PAGE: usize = 1000;

fn flat(e: &Event) -> BTreeMap<String, Value> {
    let mut m: BTreeMap<String, Value> = match &e.data {
        Value::Object(o) => o.clone().into_iter().collect(),
        other => BTreeMap::from([("data".to_string(), other.clone())]),
    };
    m.insert("seq".into(), Value::from(e.seq));
    m
}

#[utoipa::path(get, path = "/api/v1/jobs/{job_id}/events", tag = "jobs",
    params(
        JobPath, EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, maximum = 9223372036854775807_i64, description = "SSE: resume after this `seq` (`after` wins when both are sent; both are checked)."),
    ),
    responses(
        (status = 200, description = "Events as JSON, or a live stream with `Accept: text/event-stream`",
         content((EventList = "application/json"), (String = "text/event-stream"))),
        (status = 400, description = "Not a job id", body = super::view::ErrorBody),
        (status = 401, description = "No valid token", body = super::view::ErrorBody),
        (status = 404, description = "No such job", body = super::view::ErrorBody),
        (status = 422, description = "Bad parameter", body = super::view::ErrorBody),
        (status = 503, description = "Too many event streams and waits held open; retry after `Retry-After` seconds", body = super::view::ErrorBody),
    ))]
pub async fn events(
    State(state): State<Arc<AppState>>,
    State(config): State<Arc<ApiConfig>>,
    JobPath(id): JobPath,
    Params(q): Params<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Both are checked when both are sent, though the query wins: each is what the document
    // says it is, whichever is used.
    let from_header = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            whole(v.to_str().unwrap_or("\u{fffd}"), 0, i64::MAX).map_err(|e| {
                ApiError::field(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "Last-Event-ID",
                    format!("Last-Event-ID: {e}"),
                )
            })?,
        ),
    };
    let after = q.after.map(|a| a.0).or(from_header).unwrap_or(0);
    if state.store.get(id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let wants_sse = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if wants_sse {
        let held = config.hold().ok_or_else(ApiError::too_many_held)?;
        return Ok(Sse::new(live(state, id, after, held))
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    let evs = state.store.events(id, after, PAGE).await?;
    let next = evs.last().map(|e| e.seq).unwrap_or(after);
    Ok(Json(EventList {
        events: evs.iter().map(flat).collect(),
        next,
    })
    .into_response())
}

struct Cursor {
    state: Arc<AppState>,
    id: JobId,
    after: i64,
    pending: std::collections::VecDeque<Event>,
    done: bool,
    /// The stream's slot among the held requests, given back when the stream is dropped.
    _held: OwnedSemaphorePermit,
}

fn live(
    state: Arc<AppState>,
    id: JobId,
    after: i64,
    held: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let cur = Cursor {
        state,
        id,
        after,
        pending: Default::default(),
        done: false,
        _held: held,
    };
    stream::unfold(cur, |mut cur| async move {
        loop {
            if let Some(e) = cur.pending.pop_front() {
                cur.after = e.seq;
                let name = e
                    .data
                    .get("event")
                    .and_then(Value::as_str)
                    .unwrap_or("event")
                    .to_string();
                let data = Value::Object(flat(&e).into_iter().collect()).to_string();
                let ev = SseEvent::default()
                    .id(e.seq.to_string())
                    .event(name)
                    .data(data);
                return Some((Ok(ev), cur));
            }
            if cur.done || cur.state.closing.is_cancelled() {
                return None;
            }
            let mut changes = cur.state.changes.subscribe();
            changes.borrow_and_update();
            // Read the state before the events: an end seen here means every event is stored.
            let ended = match cur.state.store.get(cur.id).await {
                Ok(Some(j)) => j.status.is_final(),
                _ => true,
            };
            match cur.state.store.events(cur.id, cur.after, PAGE).await {
                Ok(evs) if !evs.is_empty() => {
                    cur.pending.extend(evs);
                    continue;
                }
                Ok(_) if ended => {
                    cur.done = true;
                    let ev = SseEvent::default().event("end").data("{}");
                    return Some((Ok(ev), cur));
                }
                Ok(_) => {}
                Err(_) => return None,
            }
            tokio::select! {
                _ = changes.changed() => {},
                _ = tokio::time::sleep(Duration::from_secs(5)) => {},
                // Stopping: the stream ends (a client resumes with Last-Event-ID elsewhere).
                () = cur.state.closing.cancelled() => return None,
            }
        }
    })
}
