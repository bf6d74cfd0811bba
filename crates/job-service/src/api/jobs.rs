// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The seed's two endpoints and the additions around a job: list, wait, cancel, stdout.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use job_core::{request, Cancel, Job, JobId, ListQuery, Submission, Submitted};
use tokio::sync::OwnedSemaphorePermit;

use super::error::ApiError;
use super::extract::{
    Body, JobPath, ListParams, NoBody, Params, StdoutQuery, SubmitQuery, WaitQuery,
};
use super::secret_vars;
use super::view::{Accepted, ErrorBody, JobList, JobView, SyncResult};
use super::ApiConfig;
use crate::auth::Caller;
use crate::state::{AppState, Metrics};

const MAX_STDOUT_READ: usize = 1024 * 1024;

/// `?wait=N` as a duration capped by `--sync-max`.
fn capped(wait: Option<u64>, config: &ApiConfig) -> Option<Duration> {
    wait.map(|n| Duration::from_secs(n).min(config.sync_max))
}

const RECHECK: Duration = Duration::from_secs(2);

/// A slot for a request that waits; taken before anything is done, so a refusal changes nothing.
fn hold(
    config: &ApiConfig,
    wait: Option<Duration>,
) -> Result<Option<OwnedSemaphorePermit>, ApiError> {
    match wait {
        Some(d) if !d.is_zero() => config.hold().map(Some).ok_or_else(ApiError::too_many_held),
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
    request_body = Submission,
    params(
        SubmitQuery,
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
    State(config): State<Arc<ApiConfig>>,
    // As results: a refusal of the query or the body counts among the refused POSTs too.
    query: Result<Params<SubmitQuery>, ApiError>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    body: Result<Body<Submission>, ApiError>,
) -> Result<Response, ApiError> {
    let result = match (query, body) {
        (Ok(Params(q)), Ok(Body(sub))) => {
            let submitter = caller.map(|Extension(c)| c.name);
            submit_inner(&state, &config, q, &headers, sub, submitter).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    if let Err(e) = &result {
        if e.status.is_client_error() {
            Metrics::add(&state.metrics.refused);
        }
    }
    result
}

async fn submit_inner(
    state: &Arc<AppState>,
    config: &ApiConfig,
    q: SubmitQuery,
    headers: &HeaderMap,
    sub: Submission,
    submitter: Option<String>,
) -> Result<Response, ApiError> {
    // `sync=true` is a wait of the cap.
    let sync = q.sync.0;
    let wait = if sync {
        Some(config.sync_max)
    } else {
        capped(q.wait.map(|w| w.get()), config)
    };
    let _held = hold(config, wait)?;
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
    let mut spec = sub.check(key, &state.project)?;
    spec.submitter = submitter;
    match state.store.submit(spec).await? {
        Submitted::Created(job) => {
            Metrics::add(&state.metrics.submitted);
            crate::transitions::submitted(&job, job.spec.submitter.as_deref());
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

#[utoipa::path(get, path = "/api/v1/jobs/{job_id}", tag = "jobs",
    params(JobPath, WaitQuery),
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
    State(config): State<Arc<ApiConfig>>,
    JobPath(id): JobPath,
    Params(q): Params<WaitQuery>,
) -> Result<Response, ApiError> {
    let wait = capped(q.wait.map(|w| w.get()), &config);
    let include = secret_vars::include(q.include.as_deref())?;
    let _held = hold(&config, wait)?;
    let job = match wait {
        Some(limit) => wait_final(&state, id, limit).await?,
        None => state.store.get(id).await?,
    };
    let job = job.ok_or_else(ApiError::not_found)?;
    let view = shown(&config, &job, include);
    if wait.is_some() && job.status.is_live() {
        return Ok((StatusCode::ACCEPTED, Json(view)).into_response());
    }
    Ok(Json(view).into_response())
}

/// The job as GET shows it: with the extra vars' values when asked, secret ones masked.
fn shown(config: &ApiConfig, job: &Job, include: bool) -> JobView {
    let view = JobView::of(job);
    if include {
        view.with_extra_vars(job, &config.secret_vars)
    } else {
        view
    }
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(ListParams),
    responses(
        (status = 200, description = "Newest first", body = JobList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 422, description = "Bad parameter", body = ErrorBody),
    ))]
pub async fn list_jobs(
    State(state): State<Arc<AppState>>,
    State(config): State<Arc<ApiConfig>>,
    Params(q): Params<ListParams>,
) -> Result<Json<JobList>, ApiError> {
    let status = q.status;
    let name = q.name.map(|n| request::name("name", &n)).transpose()?;
    let limit = q.limit.map_or(50, |l| u32::try_from(l.get()).unwrap_or(50));
    let cursor = q.cursor.map(|c| c.0);
    let include = secret_vars::include(q.include.as_deref())?;
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
        jobs: page
            .jobs
            .iter()
            .map(|j| shown(&config, j, include))
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

#[utoipa::path(post, path = "/api/v1/jobs/{job_id}/cancel", tag = "jobs",
    params(JobPath),
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
    JobPath(id): JobPath,
    _: NoBody,
) -> Result<Response, ApiError> {
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
    params(JobPath, StdoutQuery),
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
    JobPath(id): JobPath,
    Params(q): Params<StdoutQuery>,
) -> Result<Response, ApiError> {
    let offset = q.offset.map_or(0, |o| o.get());
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
