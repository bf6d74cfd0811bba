// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The body of `POST /api/v1/jobs` as a type: serde reads it (so a field of the wrong type is
//! refused by name), `ToSchema` describes it (so the OpenAPI document follows from it), and
//! [`Submission::check`] does what a type cannot: paths inside the project, names, limits.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::model::{JobSpec, Restart};
use crate::request::{self, FieldError, Project, MAX_TIMEOUT_S};

// The patterns here are what `validate` accepts: a value they refuse is refused by `check`, and
// (but for the file checks: the playbook and an inventory file must exist) a value they accept is
// accepted. `inventory` is a file (no comma) or a comma list of host names, empty items skipped.
// schemathesis holds the document and the checks together (tests/service/test_schemathesis.py).
const TAG_PATTERN: &str = r"^[A-Za-z0-9._-]{1,255}$";
const TAGS_PATTERN: &str = r"^ *[A-Za-z0-9._-]{1,255} *(?:, *[A-Za-z0-9._-]{1,255} *){0,99}$";

/// The body of `POST /api/v1/jobs`. Unknown fields are refused; absent ones (and `null`) take
/// their defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SubmitBody)]
pub struct Submission {
    /// A `.yml`/`.yaml` regular file inside the project dir, relative to it (no `..`, no
    /// component starting with `-`), after resolving symlinks.
    // An `Option` so that a body without it is refused by `check` as the `playbook` field.
    #[schema(
        required = true,
        value_type = String,
        example = "hello.yml",
        pattern = r"^[^/\x00-][^\x00]*\.ya?ml$",
        min_length = 5,
        max_length = 4096
    )]
    pub playbook: Option<String>,
    /// Variables for the play: at most 64 KiB as JSON and 8 levels deep; keys are identifiers,
    /// `ansible_*` and the names ansible-core reserves are refused.
    #[schema(schema_with = extra_vars_schema)]
    pub extra_vars: Option<Map<String, Value>>,
    /// `localhost,`, `h1,h2`, or a file under `inventories/` without an execute bit.
    #[schema(
        example = "localhost,",
        pattern = r"^(?:[^,\x00]{1,4096}|,*[A-Za-z0-9._:][A-Za-z0-9._:-]{0,252}(?:,+[A-Za-z0-9._:][A-Za-z0-9._:-]{0,252})*,*)$"
    )]
    pub inventory: Option<String>,
    /// A named job: one run per name at a time (also the `Idempotency-Key` header).
    #[schema(pattern = r"^[A-Za-z0-9._:@-]{1,255}$")]
    pub name: Option<String>,
    // What a type says is the whole of it: the enum's own schema, and `check`'s default false.
    #[allow(missing_docs)]
    pub restart: Option<Restart>,
    /// Seconds.
    #[serde(default, deserialize_with = "whole_seconds")]
    #[schema(minimum = 1, maximum = 604800)]
    pub timeout: Option<u64>,
    /// `--limit`: host pattern characters only.
    #[schema(pattern = r"^[A-Za-z0-9._:,!&*?\[\]-]{1,4096}$")]
    pub limit: Option<String>,
    /// `--tags`: a comma list, or a list (an empty list is no tags).
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Tags>,
    #[allow(missing_docs)]
    pub check: Option<bool>,
}

/// Tags as a comma list or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum Tags {
    /// `"a, b"`: spaces around the commas allowed.
    One(String),
    /// `["a", "b"]`.
    Many(Vec<String>),
}

/// JSON has one number type: `5.0` is the integer 5 to JSON Schema, and so to the document.
fn whole_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let refused = || {
        serde::de::Error::custom(format!(
            "must be a whole number of seconds from 1 to {MAX_TIMEOUT_S}"
        ))
    };
    let Some(n) = Option::<serde_json::Number>::deserialize(d).map_err(|_| refused())? else {
        return Ok(None);
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "only a whole f64 within 1..=MAX_TIMEOUT_S is cast"
    )]
    let whole = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (1.0..=MAX_TIMEOUT_S as f64).contains(f))
            .map(|f| f as u64)
    });
    match whole {
        Some(t) if (1..=MAX_TIMEOUT_S).contains(&t) => Ok(Some(t)),
        _ => Err(refused()),
    }
}

impl Submission {
    /// A JSON object as a submission, or the field whose type is wrong (or that is unknown).
    pub fn from_json(body: Value) -> Result<Self, FieldError> {
        serde_path_to_error::deserialize(body).map_err(|e| {
            // The field is the first step of the path: a wrong item of `tags` is `tags`.
            let path = e.path().to_string();
            let field = path
                .split(['.', '['])
                .next()
                .filter(|f| !f.is_empty() && *f != "?")
                .unwrap_or("body")
                .to_string();
            let inner = e.into_inner().to_string();
            let detail = if inner.starts_with("unknown field") {
                format!("unknown field; the fields are {}", Self::FIELDS.join(", "))
            } else {
                inner
            };
            FieldError { field, detail }
        })
    }

    /// The fields a body may have, as serde reads them.
    const FIELDS: [&'static str; 9] = [
        "playbook",
        "extra_vars",
        "inventory",
        "name",
        "restart",
        "timeout",
        "limit",
        "tags",
        "check",
    ];

    /// The submission (and the `Idempotency-Key` header, if sent) as a [`JobSpec`], or the first
    /// field that is refused. Absent fields take their defaults (`localhost` as the inventory,
    /// `restart` never). The header stands for `name`; when both are sent they must agree. The
    /// playbook and an inventory file must exist inside `project`.
    pub fn check(
        self,
        idempotency_key: Option<&str>,
        project: &Project,
    ) -> Result<JobSpec, FieldError> {
        request::spec(self, idempotency_key, project)
    }
}

fn nullable(s: utoipa::openapi::Schema) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{OneOfBuilder, Type};
    use utoipa::openapi::ObjectBuilder;
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(s)
        .into()
}

/// Top-level keys as `validate` takes them, in one pattern (a lookahead each for `ansible_*`,
/// any case, and the reserved names).
fn extra_vars_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{AdditionalProperties, Type};
    use utoipa::openapi::ObjectBuilder;
    let key = format!(
        "^(?![Aa][Nn][Ss][Ii][Bb][Ll][Ee]_)(?!(?:{})$)[A-Za-z_][A-Za-z0-9_]{{0,254}}$",
        request::RESERVED_NAMES.join("|")
    );
    let obj = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(key))))
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .description(Some(
            "Variables for the play: at most 64 KiB as JSON and 8 levels deep (the object is level 1); \
             keys are identifiers, `ansible_*` and the names ansible-core reserves are refused; \
             every value is data, never a template.",
        ))
        .build();
    nullable(obj.into())
}

fn tags_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Type};
    use utoipa::openapi::ObjectBuilder;
    let one = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TAGS_PATTERN))
        .description(Some("A comma list, spaces around the commas allowed"));
    let many = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(TAG_PATTERN)),
        )
        .max_items(Some(100))
        .description(Some("Up to 100 tags; an empty list is no tags"));
    nullable(OneOfBuilder::new().item(one).item(many).build().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(v: Value) -> FieldError {
        Submission::from_json(v).unwrap_err()
    }

    #[test]
    fn a_refusal_names_the_field_serde_stopped_at() {
        let e = refused(json!({"playbook": "a.yml", "extravars": {}}));
        assert_eq!(e.field, "extravars");
        assert!(
            e.detail
                .starts_with("unknown field; the fields are playbook,"),
            "{e}"
        );
        assert_eq!(refused(json!({"playbook": ["a.yml"]})).field, "playbook");
        assert_eq!(
            refused(json!({"playbook": "a.yml", "tags": [1]})).field,
            "tags"
        );
        assert_eq!(
            refused(json!({"playbook": "a.yml", "restart": "sometimes"})).field,
            "restart"
        );
        for t in [json!(0), json!(-5), json!(1.5), json!("10"), json!(604_801)] {
            let e = refused(json!({"playbook": "a.yml", "timeout": t}));
            assert_eq!(e.field, "timeout", "{t}");
            assert!(e.detail.contains("whole number of seconds"), "{e}");
        }
    }

    #[test]
    fn null_is_absent_and_a_whole_float_is_a_whole_number() {
        let s = Submission::from_json(json!({"playbook": "a.yml", "timeout": 5.0, "tags": null}))
            .unwrap();
        assert_eq!(s.timeout, Some(5));
        assert!(s.tags.is_none());
    }
}
