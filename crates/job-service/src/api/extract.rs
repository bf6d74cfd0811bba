// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Typed extractors: the job id of the path, the query parameters, the JSON body. Each refuses
//! with our `ApiError` naming the field, and each is the OpenAPI parameter or body it reads, so
//! the document follows from the types (as crates.io's `CratePath`, and axum's error-handling
//! example for the rejection).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use job_core::{JobId, Status, Submission};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::IntoParams;

use super::error::ApiError;
use super::{ApiConfig, ApiState};

/// The longest `?wait=N` accepted, in seconds; the wait is then capped by `--sync-max`. A bound
/// the document can state, so a client learns it from there and not from a 422.
pub const MAX_WAIT_S: i64 = 86_400;

/// The largest request body, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// The `{job_id}` of a path: a UUID in its hyphenated form, else a 400 naming `job_id`.
pub struct JobPath(pub JobId);

impl<S: Send + Sync> FromRequestParts<S> for JobPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "job_id", e.body_text()))?;
        job_id(&raw).map(JobPath)
    }
}

impl IntoParams for JobPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let uuid = ObjectBuilder::new().schema_type(Type::String).format(Some(
            utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid),
        ));
        vec![ParameterBuilder::new()
            .name("job_id")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some("The job's UUID (hyphenated)."))
            .schema(Some(uuid))
            .build()]
    }
}

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

/// Query parameters as `T`; a value `T` refuses is a 422 naming the parameter. Parameters `T`
/// does not name are ignored, as they always were.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Params)
            .map_err(|e| {
                let field = e.path().to_string();
                let detail = format!("{field}: {}", e.inner());
                if field.is_empty() || field == "." {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
                } else {
                    ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, &field, detail)
                }
            })
    }
}

/// A whole number from `MIN` to `MAX`: digits with an optional minus, nothing else (Rust's
/// parser also takes `+5`, which the document's integer does not).
#[derive(Clone, Copy, Debug)]
pub struct Whole<const MIN: i64, const MAX: i64>(pub i64);

/// The check of [`Whole`], for a value that is not a query parameter (a header).
pub fn whole(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let plain = v.strip_prefix('-').unwrap_or(v);
    match v.parse::<i64>() {
        Ok(n)
            if !plain.is_empty()
                && plain.bytes().all(|b| b.is_ascii_digit())
                && (min..=max).contains(&n) =>
        {
            Ok(n)
        }
        _ => Err(format!(
            "got {v:?}; give a whole number from {min} to {max}"
        )),
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = String::deserialize(d)?;
        whole(&v, MIN, MAX).map(Whole).map_err(D::Error::custom)
    }
}

impl<const MIN: i64, const MAX: i64> Whole<MIN, MAX> {
    pub fn get(self) -> u64 {
        self.0.unsigned_abs()
    }
}

/// `true` or `false`, nothing else: `?sync=` (empty) or `?sync=1` is a 422, not a guess.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "true" => Ok(Flag(true)),
            "false" => Ok(Flag(false)),
            v => Err(D::Error::custom(format!("got {v:?}; use true or false"))),
        }
    }
}

/// `?wait=N` of GET.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Hold the request until the job ends, at most this many seconds, capped by --sync-max.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 86400)]
    pub wait: Option<Whole<0, MAX_WAIT_S>>,
    /// `extra_vars`: add the extra vars' values (`extra_vars`), the value of every name the
    /// operator marks secret shown as `"<secret>"`.
    #[param(pattern = "^extra_vars$")]
    pub include: Option<String>,
}

/// `?sync` and `?wait` of POST.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// Hold the request until the job ends (at most --sync-max). `true` or `false`; anything else is a 422.
    #[param(value_type = Option<bool>)]
    #[serde(default)]
    pub sync: Flag,
    /// Hold the request at most this many seconds, capped by --sync-max.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 86400)]
    pub wait: Option<Whole<0, MAX_WAIT_S>>,
}

/// The list's filters and page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only jobs in this state.
    pub status: Option<Status>,
    /// Only jobs of this name.
    #[param(pattern = r"^[A-Za-z0-9._:@-]{1,255}$")]
    pub name: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<Whole<1, 500>>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807_i64)]
    pub cursor: Option<Whole<0, { i64::MAX }>>,
    /// `extra_vars`: add the extra vars' values (`extra_vars`), the value of every name the
    /// operator marks secret shown as `"<secret>"`.
    #[param(pattern = "^extra_vars$")]
    pub include: Option<String>,
}

/// Where a read of stdout starts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StdoutQuery {
    /// The first byte wanted; `X-Next-Offset` of the previous read.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807_i64)]
    pub offset: Option<Whole<0, { i64::MAX }>>,
}

/// Where a read of events starts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events with a greater `seq`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807_i64)]
    pub after: Option<Whole<0, { i64::MAX }>>,
}

/// The whole body within `--body-timeout`: a client that stalls or trickles it would otherwise
/// hold its connection, and the shutdown, for as long as it likes.
pub async fn read_body(
    config: &ApiConfig,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Bytes, ApiError> {
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
    let limit = config.body_timeout;
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

/// A JSON body read as `T` (its own rejection, not axum's `Json`, whose refusals are text and
/// name no field). Not JSON, or not an object, is a 400; a field `T` refuses is a 422 naming it.
pub struct Body<T>(pub T);

/// How a body type is read from a JSON object.
pub trait FromObject: Sized {
    fn from_object(v: Value) -> Result<Self, ApiError>;
}

impl FromObject for Submission {
    fn from_object(v: Value) -> Result<Self, ApiError> {
        Ok(Submission::from_json(v)?)
    }
}

impl<T: FromObject> FromRequest<ApiState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(&state.config, &parts.headers, body).await?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        if !value.is_object() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object",
            ));
        }
        T::from_object(value).map(Body)
    }
}

/// The body of a call that takes nothing: `{}`, or none at all. Anything else is a client that
/// meant another call.
pub struct NoBody;

impl FromRequest<ApiState> for NoBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(&state.config, &parts.headers, body).await?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace)
            || serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes)
                .is_ok_and(|m| m.is_empty());
        if empty {
            Ok(NoBody)
        } else {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "the body of a cancel must be `{}` or empty",
            ))
        }
    }
}
