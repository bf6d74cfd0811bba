// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The seed's two endpoints and the additions around a job: list, wait, cancel, stdout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use job_core::{validate, Cancel, Job, JobId, ListQuery, Status, Submitted};
use serde_json::Value;
use tokio::sync::OwnedSemaphorePermit;

use super::error::ApiError;
use super::view::{Accepted, ErrorBody, JobList, JobView, SyncResult};
use crate::auth::Caller;
use crate::state::{AppState, Metrics};

pub const MAX_BODY: usize = 1024 * 1024;
const MAX_STDOUT_READ: usize = 1024 * 1024;

type Params = Query<HashMap<String, String>>;

pub fn job_id(raw: &str) -> Result<JobId, ApiError> {
    // The hyphenated form only (36 characters), as the document's `format: uuid` says; the uuid
    // crate would also take the simple, braced and URN forms.
    let hyphenated = raw.len() == 36;
    hyphenated
        .then(|| raw.parse::<JobId>().ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "job_id",
                format!(
                    "{raw:?} is not a job id (a UUID such as 0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6)"
                ),
            )
        })
}

/// The longest `?wait=N` accepted, in seconds; the wait is then capped by `--sync-max`. A bound
/// the document can state, so a client learns it from there and not from a 422.
pub const MAX_WAIT_S: i64 = 86_400;

/// `true` or `false`, nothing else: `?sync=` (empty) or `?sync=1` is a 422, not a guess.
fn flag(q: &HashMap<String, String>, key: &str) -> Result<bool, ApiError> {
    match q.get(key).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            key,
            format!("{key}={v:?}: use true or false"),
        )),
    }
}

/// A whole number from `min` to `max`, as the document states for `key`.
pub fn bounded(raw: Option<&str>, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let Some(v) = raw else { return Ok(None) };
    // Digits with an optional minus only: Rust's parser also takes `+5`, which the document's
    // integer does not.
    let plain = v.strip_prefix('-').unwrap_or(v);
    match v.parse::<i64>() {
        Ok(n)
            if !plain.is_empty()
                && plain.bytes().all(|b| b.is_ascii_digit())
                && (min..=max).contains(&n) =>
        {
            Ok(Some(n))
        }
        _ => Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            key,
            format!("{key}={v:?}: give a whole number from {min} to {max}"),
        )),
    }
}

fn number(
    q: &HashMap<String, String>,
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    bounded(q.get(key).map(String::as_str), key, min, max)
}

/// `?wait=N` as a duration capped by `--sync-max`.
fn wait_param(q: &HashMap<String, String>, state: &AppState) -> Result<Option<Duration>, ApiError> {
    Ok(number(q, "wait", 0, MAX_WAIT_S)?
        .map(|n| Duration::from_secs(n.unsigned_abs()).min(state.sync_max)))
}

/// How long this request may hold: `?wait=N` capped by `--sync-max`; `sync=true` is the cap.
fn wait_for(q: &HashMap<String, String>, state: &AppState) -> Result<Option<Duration>, ApiError> {
    let wait = wait_param(q, state)?;
    let sync = flag(q, "sync")?;
    Ok(if sync { Some(state.sync_max) } else { wait })
}

const RECHECK: Duration = Duration::from_secs(2);

/// A slot for a request that waits; taken before anything is done, so a refusal changes nothing.
fn hold(
    state: &AppState,
    wait: Option<Duration>,
) -> Result<Option<OwnedSemaphorePermit>, ApiError> {
    match wait {
        Some(d) if !d.is_zero() => state.hold().map(Some).ok_or_else(ApiError::too_many_held),
        _ => Ok(None),
    }
}

/// The job once it ended, or as it is when `limit` passed.
pub async fn wait_final(
    state: &AppState,
    id: JobId,
    limit: Duration,
) -> Result<Option<Job>, ApiError> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut changes = state.changes.subscribe();
    loop {
        changes.borrow_and_update();
        let job = state.store.get(id).await?;
        match &job {
            Some(j) if j.status.is_live() => {}
            _ => return Ok(job),
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return Ok(job) },
            _ = tokio::time::sleep_until(deadline) => return Ok(job),
            // Stopping: the job as it is now (a 202 while it runs), not a wait that would hold
            // the shutdown and deny the run its grace.
            () = state.closing.cancelled() => return Ok(job),
            // With Redis a change is told by pub/sub, which a link blip can drop: look anyway.
            _ = tokio::time::sleep(RECHECK) => {},
        }
    }
}

fn location(id: JobId) -> (header::HeaderName, HeaderValue) {
    let v = HeaderValue::from_str(&format!("/api/v1/jobs/{id}"))
        .unwrap_or(HeaderValue::from_static("/api/v1/jobs"));
    (header::LOCATION, v)
}

/// A job after a wait: 200 when it ended, 202 when it still runs.
fn waited(job: &Job, sync: bool, attached: bool) -> Response {
    let code = if job.status.is_final() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    if sync && job.status.is_final() {
        return (code, Json(SyncResult::of(job))).into_response();
    }
    let view = if attached {
        JobView::attached(job)
    } else {
        JobView::of(job)
    };
    (code, [location(job.id)], Json(view)).into_response()
}

#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs",
    request_body = super::view::SubmitBody,
    params(
        ("sync" = Option<bool>, Query, description = "Hold the request until the job ends (at most --sync-max). `true` or `false`; anything else is a 422."),
        ("wait" = Option<i64>, Query, minimum = 0, maximum = 86400, description = "Hold the request at most this many seconds, capped by --sync-max."),
        ("Idempotency-Key" = Option<String>, Header, pattern = r#"^(?:[A-Za-z0-9._:@-]{1,255}|"[A-Za-z0-9._:@-]{1,255}")$"#,
         description = "The same as the `name` field (one pair of quotes allowed); when both are sent they must be equal (else 422)."),
    ),
    responses(
        (status = 202, description = "Queued (or, after a wait, still pending or running: the job as GET shows it)", body = Accepted,
         headers(("Location" = String, description = "/api/v1/jobs/{job_id}"))),
        (status = 200, description = "Ended within the wait, or the name's job (`attached`); with `sync=true` the seed's result", body = super::view::Finished),
        (status = 400, description = "Malformed body: not JSON, or not an object", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 409, description = "The name is held by a live job with another payload", body = ErrorBody),
        (status = 408, description = "The body did not arrive whole within --body-timeout", body = ErrorBody),
        (status = 413, description = "Body too big", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 503, description = "Too many requests held open (`?wait`, `?sync`); retry after `Retry-After` seconds", body = ErrorBody),
    ))]
pub async fn submit(
    State(state): State<Arc<AppState>>,
    Query(q): Params,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let submitter = caller.as_ref().map(|c| c.0.name.as_str());
    let result = submit_inner(&state, &q, &headers, body, submitter).await;
    if let Err(e) = &result {
        if e.status.is_client_error() {
            Metrics::add(&state.metrics.refused);
        }
    }
    result
}

async fn submit_inner(
    state: &Arc<AppState>,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
    submitter: Option<&str>,
) -> Result<Response, ApiError> {
    let wait = wait_for(q, state)?;
    let sync = flag(q, "sync")?;
    let _held = hold(state, wait)?;
    let bytes = read_body(state, headers, body).await?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(obj) = value else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
        ));
    };
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Idempotency-Key",
                "must be plain ASCII",
            )
        })?),
    };
    // RFC draft-ietf-httpapi-idempotency-key-header sends the key as a quoted string: one pair of
    // quotes is taken off, as the document's pattern allows, no more.
    let key = key.map(|k| {
        k.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .unwrap_or(k)
    });
    let spec = validate::parse(&obj, key, &state.project)?;
    match state.store.submit(spec).await? {
        Submitted::Created(job) => {
            Metrics::add(&state.metrics.submitted);
            crate::transitions::submitted(&job, submitter);
            state.wake.notify_one();
            match wait {
                None => Ok((
                    StatusCode::ACCEPTED,
                    [location(job.id)],
                    Json(Accepted::of(&job)),
                )
                    .into_response()),
                Some(limit) => {
                    let now = wait_final(state, job.id, limit).await?.unwrap_or(job);
                    Ok(waited(&now, sync, false))
                }
            }
        }
        Submitted::Attached(job) => {
            Metrics::add(&state.metrics.attached);
            let job = match wait {
                Some(limit) if job.status.is_live() => {
                    wait_final(state, job.id, limit).await?.unwrap_or(job)
                }
                _ => job,
            };
            if wait.is_none() || job.status.is_final() {
                if sync && job.status.is_final() {
                    return Ok((StatusCode::OK, Json(SyncResult::of(&job))).into_response());
                }
                return Ok((
                    StatusCode::OK,
                    [location(job.id)],
                    Json(JobView::attached(&job)),
                )
                    .into_response());
            }
            Ok(waited(&job, sync, true))
        }
        Submitted::Conflict(holder) => {
            Metrics::add(&state.metrics.conflicts);
            let mut e = ApiError::field(
                StatusCode::CONFLICT,
                "name",
                format!(
                    "name {:?} is held by job {} ({}) with another payload; wait for it to end, or use another name",
                    holder.spec.name.as_deref().unwrap_or_default(),
                    holder.id,
                    holder.status.as_str()
                ),
            );
            e.body.job_id = Some(holder.id.to_string());
            Err(e)
        }
    }
}

/// The whole body within `--body-timeout`: a client that stalls or trickles it would otherwise
/// hold its connection, and the shutdown, for as long as it likes.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over {MAX_BODY} bytes; put large data in files of the project"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_big());
    }
    let limit = state.body_timeout;
    match tokio::time::timeout(limit, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(read) => read.map_err(|_| too_big()),
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive whole within {}s of the headers (--body-timeout); send it at once",
                limit.as_secs()
            ),
        )),
    }
}

#[utoipa::path(get, path = "/api/v1/jobs/{job_id}", tag = "jobs",
    params(
        ("job_id" = uuid::Uuid, Path, description = "The job's UUID (hyphenated)."),
        ("wait" = Option<i64>, Query, minimum = 0, maximum = 86400, description = "Hold the request until the job ends, at most this many seconds, capped by --sync-max."),
    ),
    responses(
        (status = 200, description = "The job (ended, or no wait asked)", body = JobView),
        (status = 202, description = "Still pending or running after the wait", body = JobView),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 503, description = "Too many requests held open (`?wait`); retry after `Retry-After` seconds", body = ErrorBody),
        (status = 422, description = "Bad parameter", body = ErrorBody),
    ))]
pub async fn get_job(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let id = job_id(&raw)?;
    let wait = wait_param(&q, &state)?;
    let _held = hold(&state, wait)?;
    let job = match wait {
        Some(limit) => wait_final(&state, id, limit).await?,
        None => state.store.get(id).await?,
    };
    let job = job.ok_or_else(ApiError::not_found)?;
    if wait.is_some() && job.status.is_live() {
        return Ok((StatusCode::ACCEPTED, Json(JobView::of(&job))).into_response());
    }
    Ok(Json(JobView::of(&job)).into_response())
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(
        ("status" = Option<Status>, Query, description = "Only jobs in this state."),
        ("name" = Option<String>, Query, pattern = r"^[A-Za-z0-9._:@-]{1,255}$", description = "Only jobs of this name."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size, 1 to 500 (default 50)."),
        ("cursor" = Option<i64>, Query, minimum = 0, maximum = 9223372036854775807_i64, description = "`next_cursor` of the previous page."),
    ),
    responses(
        (status = 200, description = "Newest first", body = JobList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 422, description = "Bad parameter", body = ErrorBody),
    ))]
pub async fn list_jobs(
    State(state): State<Arc<AppState>>,
    Query(q): Params,
) -> Result<Json<JobList>, ApiError> {
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "status",
                "status must be one of pending, running, successful, failed, canceled",
            )
        })?),
    };
    let name = match q.get("name") {
        None => None,
        Some(n) => Some(validate::name("name", n)?),
    };
    let limit = u32::try_from(number(&q, "limit", 1, 500)?.unwrap_or(50)).unwrap_or(50);
    let cursor = number(&q, "cursor", 0, i64::MAX)?;
    let page = state
        .store
        .list(ListQuery {
            status,
            name,
            limit,
            cursor,
        })
        .await?;
    Ok(Json(JobList {
        jobs: page.jobs.iter().map(JobView::of).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

#[utoipa::path(post, path = "/api/v1/jobs/{job_id}/cancel", tag = "jobs",
    params(("job_id" = uuid::Uuid, Path, description = "The job's UUID (hyphenated).")),
    request_body(content = super::view::NoBody, description = "`{}`; an empty body is accepted too", content_type = "application/json"),
    responses(
        (status = 200, description = "It was pending: now canceled", body = JobView),
        (status = 202, description = "It runs: its process group gets TERM, then KILL after the grace", body = JobView),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 408, description = "The body did not arrive whole within --body-timeout", body = ErrorBody),
        (status = 409, description = "It had already ended", body = ErrorBody),
        (status = 413, description = "Body too big", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = job_id(&raw)?;
    let bytes = read_body(&state, &headers, body).await?;
    // The call takes nothing: `{}` or no body. Anything else is a client that meant another call.
    let empty = bytes.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes)
            .is_ok_and(|m| m.is_empty());
    if !empty {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body of a cancel must be `{}` or empty",
        ));
    }
    match state.store.cancel(id).await? {
        Cancel::Canceled(job) => {
            crate::transitions::ended(&state.metrics, &job);
            state.changed();
            Ok((StatusCode::OK, Json(JobView::of(&job))).into_response())
        }
        Cancel::Requested(job) => {
            state.cancel_run(id);
            Ok((StatusCode::ACCEPTED, Json(JobView::of(&job))).into_response())
        }
        Cancel::Ended(job) => {
            let mut e = ApiError::new(
                StatusCode::CONFLICT,
                format!("job {id} already ended ({})", job.status.as_str()),
            );
            e.body.job_id = Some(id.to_string());
            Err(e)
        }
        Cancel::NotFound => Err(ApiError::not_found()),
    }
}

#[utoipa::path(get, path = "/api/v1/jobs/{job_id}/stdout", tag = "jobs",
    params(
        ("job_id" = uuid::Uuid, Path, description = "The job's UUID (hyphenated)."),
        ("offset" = Option<i64>, Query, minimum = 0, maximum = 9223372036854775807_i64, description = "The first byte wanted; `X-Next-Offset` of the previous read."),
    ),
    responses(
        (status = 200, description = "Output from `offset` (or from the oldest byte kept)", content_type = "text/plain",
         body = String, headers(("X-Next-Offset" = u64, description = "Where the next read starts"), ("X-Offset" = u64, description = "Where this answer starts"))),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 422, description = "Bad parameter", body = ErrorBody),
    ))]
pub async fn stdout(
    State(state): State<Arc<AppState>>,
    Path(raw): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let id = job_id(&raw)?;
    let offset = number(&q, "offset", 0, i64::MAX)?
        .unwrap_or(0)
        .unsigned_abs();
    let slice = state
        .store
        .output(id, offset, MAX_STDOUT_READ)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        ),
        (
            header::HeaderName::from_static("x-next-offset"),
            HeaderValue::from(slice.next),
        ),
        (
            header::HeaderName::from_static("x-offset"),
            HeaderValue::from(slice.start),
        ),
    ];
    Ok((headers, slice.data).into_response())
}
