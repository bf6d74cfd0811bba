// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A POST body becomes a `JobSpec` here, or a refusal naming the field. Nothing runs before this
//! has passed, and nothing a client sends reaches a shell or the command line unchecked.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use crate::model::{Inventory, JobSpec};
use crate::submission::{Submission, Tags};

/// The largest `extra_vars` accepted, in bytes of compact JSON.
pub const MAX_EXTRA_VARS_BYTES: usize = 64 * 1024;
/// The deepest nesting of `extra_vars` accepted; the object itself is level 1.
pub const MAX_EXTRA_VARS_DEPTH: usize = 8;
/// The longest `timeout` accepted, in seconds: a week.
pub const MAX_TIMEOUT_S: u64 = 7 * 24 * 3600;
/// The names ansible-core reserves, but `ansible_*` (refused as a prefix): its play keywords
/// (`ansible.vars.reserved.get_reserved_names()`), the variables it sets itself
/// (`INTERNAL_STATIC_VARS`, and what `VariableManager` gives a task of a role) and, since 2.19,
/// its Jinja globals. The union over ansible-core 2.15, 2.19 and 2.21, sorted for a binary
/// search. tests/service/test_extra_vars_data.py asks each ansible-core of the matrix for its own
/// list and fails on a name this one lacks.
pub const RESERVED_NAMES: [&str; 90] = [
    "action",
    "always",
    "any_errors_fatal",
    "args",
    "async",
    "async_val",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "changed_when",
    "check_mode",
    "collections",
    "connection",
    "cycler",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "dict",
    "diff",
    "environment",
    "fact_path",
    "failed_when",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "group_names",
    "groups",
    "handlers",
    "hosts",
    "hostvars",
    "ignore_errors",
    "ignore_unreachable",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "joiner",
    "lipsum",
    "local_action",
    "lookup",
    "loop",
    "loop_control",
    "loop_with",
    "max_fail_percentage",
    "module_defaults",
    "name",
    "namespace",
    "no_log",
    "notify",
    "now",
    "omit",
    "order",
    "play_hosts",
    "playbook_dir",
    "poll",
    "port",
    "post_tasks",
    "pre_tasks",
    "q",
    "query",
    "range",
    "register",
    "remote_user",
    "rescue",
    "retries",
    "role_name",
    "role_names",
    "role_path",
    "role_uuid",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "tasks",
    "throttle",
    "timeout",
    "undef",
    "until",
    "validate_argspec",
    "vars",
    "vars_files",
    "vars_prompt",
    "when",
    "with_",
];
const MAX_NAME: usize = 255;
const MAX_HOSTS: usize = 1000;
const MAX_TEXT: usize = 4096;

/// A refusal: which field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail}")]
pub struct FieldError {
    /// The field refused, as the client named it (or `Idempotency-Key`, for the header).
    pub field: String,
    /// What is wrong with it, and what would be accepted.
    pub detail: String,
}

fn refuse(field: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        detail: detail.into(),
    }
}

/// The project dir, canonical, that playbooks and inventory files must stay inside.
#[derive(Clone, Debug)]
pub struct Project {
    root: PathBuf,
    inventory_scripts: bool,
}

impl Project {
    /// The project at `dir`, resolved once here: an error if it does not exist or is not a
    /// directory.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let root = fs::canonicalize(dir)?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(Self {
            root,
            inventory_scripts: false,
        })
    }

    /// The same project, with inventory files that have an execute bit accepted (`true`) or
    /// refused (`false`, the default). ansible-playbook runs such a file as a dynamic inventory,
    /// so accepting them lets a client pick a program to run: the operator's call.
    pub fn with_inventory_scripts(mut self, allow: bool) -> Self {
        self.inventory_scripts = allow;
        self
    }

    /// The canonical project dir.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a relative file inside the project, after every symlink is resolved.
    pub fn resolve(&self, rel: &str) -> Option<PathBuf> {
        let path = fs::canonicalize(self.root.join(rel)).ok()?;
        path.starts_with(&self.root).then_some(path)
    }

    /// The absolute path of an inventory file: a regular file under `<project>/inventories/`
    /// after every symlink is resolved, and without an execute bit unless scripts are allowed.
    /// Checked at the POST and again before the run, as the file may change in between.
    pub fn inventory_file(&self, rel: &str) -> Result<PathBuf, FieldError> {
        plain_relative("inventory", rel)?;
        let inventories = self.root.join("inventories");
        let file = match (self.resolve(rel), fs::canonicalize(&inventories)) {
            (Some(file), Ok(dir)) if file.starts_with(&dir) && file.is_file() => file,
            _ => {
                return Err(refuse(
                    "inventory",
                    "must be a comma list of hosts (`localhost,`) or a file under <project>/inventories/",
                ))
            }
        };
        let mode = fs::metadata(&file)
            .map_err(|e| refuse("inventory", format!("cannot read its mode: {e}")))?
            .permissions()
            .mode();
        if mode & 0o111 != 0 && !self.inventory_scripts {
            return Err(refuse(
                "inventory",
                format!(
                    "{rel} has an execute bit, so ansible-playbook would run it as a dynamic inventory; \
                     inventory scripts are refused unless the service runs with --allow-inventory-scripts"
                ),
            ));
        }
        Ok(file)
    }
}

/// A POST body (and the `Idempotency-Key` header, if sent) as a [`JobSpec`], or the first
/// field that is refused: [`Submission::from_json`], then [`Submission::check`].
pub fn parse(
    body: &Map<String, Value>,
    idempotency_key: Option<&str>,
    project: &Project,
) -> Result<JobSpec, FieldError> {
    Submission::from_json(Value::Object(body.clone()))?.check(idempotency_key, project)
}

/// The checks a type cannot make, field by field, in the order of the fields.
pub(crate) fn spec(
    sub: Submission,
    idempotency_key: Option<&str>,
    project: &Project,
) -> Result<JobSpec, FieldError> {
    let playbook = match sub.playbook {
        Some(s) => playbook(&s, project)?,
        None => return Err(refuse("playbook", "is required")),
    };
    let extra_vars = match sub.extra_vars {
        None => Map::new(),
        Some(m) => extra_vars(&m)?,
    };
    let inventory = match sub.inventory {
        None => Inventory::Hosts(vec!["localhost".into()]),
        Some(s) => inventory(&s, project)?,
    };
    let name = match (sub.name, idempotency_key) {
        (None, None) => None,
        (None, Some(key)) => Some(name("Idempotency-Key", key)?),
        (Some(s), key) => {
            let n = name("name", &s)?;
            if key.is_some_and(|k| k != n) {
                return Err(refuse(
                    "name",
                    "differs from the Idempotency-Key header; send one of them, or the same in both",
                ));
            }
            Some(n)
        }
    };
    let limit = match sub.limit {
        None => None,
        Some(s) => Some(limit(&s)?),
    };
    let tags = match sub.tags {
        None => None,
        // Spaces around the commas only: the document's pattern says so, and a tab or a newline
        // in a tag list is a client's mistake, not a separator.
        Some(Tags::One(s)) => Some(tags(s.split(',').map(|t| t.trim_matches(' ')))?),
        // An empty list is no tags, as leaving the field out is: what a client building the list
        // from a filter expects (issue 19, finding 12).
        Some(Tags::Many(items)) if items.is_empty() => None,
        Some(Tags::Many(items)) => Some(tags(items.iter().map(String::as_str))?),
    };
    Ok(JobSpec {
        playbook,
        extra_vars,
        inventory,
        name,
        restart: sub.restart.unwrap_or_default(),
        timeout: sub.timeout,
        limit,
        tags,
        check: sub.check.unwrap_or(false),
        submitter: None,
    })
}

/// A relative path with plain components: no `..`, no absolute path, no option look-alike.
fn plain_relative(field: &str, s: &str) -> Result<(), FieldError> {
    if s.is_empty() || s.len() > MAX_TEXT || s.contains('\0') {
        return Err(refuse(field, "must be a non-empty relative path"));
    }
    let path = Path::new(s);
    for c in path.components() {
        match c {
            Component::Normal(part) if !part.to_string_lossy().starts_with('-') => {}
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse(field, "must not contain `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse(
                    field,
                    "must be relative to the project dir, not absolute",
                ))
            }
            Component::Normal(_) => {
                return Err(refuse(field, "no path component may start with `-`"))
            }
        }
    }
    Ok(())
}

fn playbook(s: &str, project: &Project) -> Result<String, FieldError> {
    plain_relative("playbook", s)?;
    if !(s.ends_with(".yml") || s.ends_with(".yaml")) {
        return Err(refuse("playbook", "must name a .yml or .yaml file"));
    }
    let resolved = project.resolve(s).ok_or_else(|| {
        refuse(
            "playbook",
            format!(
                "no such file inside the project dir {}",
                project.root().display()
            ),
        )
    })?;
    if !resolved.is_file() {
        return Err(refuse("playbook", "must be a regular file"));
    }
    Ok(s.to_string())
}

fn host_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

fn inventory(s: &str, project: &Project) -> Result<Inventory, FieldError> {
    if s.contains(',') {
        let hosts: Vec<String> = s
            .split(',')
            .filter(|h| !h.is_empty())
            .map(String::from)
            .collect();
        if hosts.is_empty() || hosts.len() > MAX_HOSTS {
            return Err(refuse(
                "inventory",
                format!("must list 1 to {MAX_HOSTS} hosts"),
            ));
        }
        if let Some(bad) = hosts.iter().find(|h| !host_like(h)) {
            return Err(refuse(
                "inventory",
                format!(
                    "host {bad:?} is not a host name (letters, digits, `.`, `_`, `:`, `-`); inline INI is not accepted, put it in a file under inventories/"
                ),
            ));
        }
        return Ok(Inventory::Hosts(hosts));
    }
    project.inventory_file(s)?;
    Ok(Inventory::File(s.to_string()))
}

/// Names are keys in the store and appear in URLs: a plain, bounded alphabet. `field` is what a
/// refusal names.
pub fn name(field: &str, s: &str) -> Result<String, FieldError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@-".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(refuse(
            field,
            format!("must be 1 to {MAX_NAME} characters of letters, digits and . _ : @ -"),
        ))
    }
}

fn limit(s: &str) -> Result<String, FieldError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_TEXT
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:,!&*?[]-".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(refuse(
            "limit",
            "must be a host pattern (letters, digits and . _ : , ! & * ? [ ] -)",
        ))
    }
}

fn tags<'a>(items: impl Iterator<Item = &'a str>) -> Result<Vec<String>, FieldError> {
    let mut out = Vec::new();
    for t in items {
        let ok = !t.is_empty()
            && t.len() <= 255
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(refuse(
                "tags",
                format!("tag {t:?} must be letters, digits and . _ -"),
            ));
        }
        out.push(t.to_string());
    }
    if out.is_empty() || out.len() > 100 {
        return Err(refuse("tags", "must hold 1 to 100 tags"));
    }
    Ok(out)
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn extra_vars(m: &Map<String, Value>) -> Result<Map<String, Value>, FieldError> {
    let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_EXTRA_VARS_BYTES {
        return Err(refuse(
            "extra_vars",
            format!("is {size} bytes as JSON; the limit is {MAX_EXTRA_VARS_BYTES}"),
        ));
    }
    let d = m.values().map(depth).max().unwrap_or(0) + 1;
    if d > MAX_EXTRA_VARS_DEPTH {
        return Err(refuse(
            "extra_vars",
            format!("nests {d} levels; the limit is {MAX_EXTRA_VARS_DEPTH}"),
        ));
    }
    for key in m.keys() {
        let ident = key.len() <= 255
            && key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ident {
            return Err(refuse(
                "extra_vars",
                format!("key {key:?} is not a variable name (letters, digits, _)"),
            ));
        }
        // ansible_* variables steer connections and interpreters: ansible_ssh_common_args or
        // ansible_python_interpreter would run a command of the client's choosing (CVE-2023-39059).
        if key.to_ascii_lowercase().starts_with("ansible_") {
            return Err(refuse(
                "extra_vars",
                format!("key {key:?}: ansible_* variables are refused, they can run commands on the controller"),
            ));
        }
        // Extra vars win over every other variable, so these would replace what ansible-core
        // itself sets (a spoofed inventory_hostname or hostvars). A play keyword is only shadowed,
        // which ansible-core warns about; refused too, as the whole reserved list is (issue 19).
        if RESERVED_NAMES.binary_search(&key.as_str()).is_ok() {
            return Err(refuse(
                "extra_vars",
                format!("key {key:?} is a name ansible-core reserves; choose another name"),
            ));
        }
    }
    Ok(m.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Restart;
    use serde_json::json;

    fn project() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("hello.yml"), "- hosts: all\n").unwrap();
        fs::create_dir(dir.path().join("inventories")).unwrap();
        fs::write(dir.path().join("inventories/prod.ini"), "a\n").unwrap();
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        fs::create_dir(dir.path().join("dir.yml")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("out.yml")).unwrap();
        let p = Project::open(dir.path()).unwrap();
        (dir, p)
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn field_of(v: Value, p: &Project) -> String {
        parse(&body(v), None, p).unwrap_err().field
    }

    #[test]
    fn the_seed_example_passes_with_defaults() {
        let (_d, p) = project();
        let spec = parse(
            &body(json!({"playbook": "hello.yml", "extra_vars": {"greeting": "hi"}, "inventory": "localhost,"})),
            None,
            &p,
        )
        .unwrap();
        assert_eq!(spec.inventory, Inventory::Hosts(vec!["localhost".into()]));
        assert_eq!(spec.inventory.display(), "localhost,");
        assert_eq!(spec.restart, Restart::Never);
        assert!(!spec.check);
    }

    #[test]
    fn playbooks_stay_inside_the_project() {
        let (_d, p) = project();
        for bad in [
            "../x.yml",
            "/etc/passwd",
            "notes.txt",
            "dir.yml",
            "out.yml",
            "missing.yml",
            "-x.yml",
            "",
        ] {
            assert_eq!(field_of(json!({"playbook": bad}), &p), "playbook", "{bad}");
        }
        assert_eq!(field_of(json!({"playbook": 3}), &p), "playbook");
        assert_eq!(field_of(json!({}), &p), "playbook");
    }

    #[test]
    fn inventories_are_host_lists_or_files_under_inventories() {
        let (_d, p) = project();
        assert!(parse(
            &body(json!({"playbook": "hello.yml", "inventory": "inventories/prod.ini"})),
            None,
            &p
        )
        .is_ok());
        assert!(parse(
            &body(json!({"playbook": "hello.yml", "inventory": "a.example,b:2222"})),
            None,
            &p
        )
        .is_ok());
        for bad in [
            "[all]\nx ansible_connection=local,",
            "notes.txt",
            "h o,",
            "-x,",
            "../inventories/prod.ini",
            ",",
        ] {
            let f = field_of(json!({"playbook": "hello.yml", "inventory": bad}), &p);
            assert_eq!(f, "inventory", "{bad:?}");
        }
    }

    #[test]
    fn extra_vars_refuse_ansible_keys_depth_and_size() {
        let (_d, p) = project();
        let deep = (0..9).fold(json!(1), |acc, _| json!({"a": acc}));
        for bad in [
            json!({"ansible_ssh_common_args": "-o ProxyCommand=x"}),
            json!({"ANSIBLE_python_interpreter": "x"}),
            json!({"a b": 1}),
            json!({"x": deep["a"].clone()}),
            json!({"big": "x".repeat(MAX_EXTRA_VARS_BYTES)}),
            json!([1]),
        ] {
            assert_eq!(
                field_of(json!({"playbook": "hello.yml", "extra_vars": bad}), &p),
                "extra_vars"
            );
        }
        let nested = json!({"playbook": "hello.yml", "extra_vars": {"cfg": {"ansible_like": 1}}});
        assert!(parse(&body(nested), None, &p).is_ok());
        assert_eq!(
            field_of(
                json!({"playbook": "hello.yml", "extra_vars": {"é": null}}),
                &p
            ),
            "extra_vars"
        );
    }

    #[test]
    fn reserved_names_are_refused_and_sorted_for_the_search() {
        assert!(
            RESERVED_NAMES.windows(2).all(|w| w[0] < w[1]),
            "RESERVED_NAMES must be sorted, without duplicates"
        );
        let (_d, p) = project();
        for name in RESERVED_NAMES {
            let err = parse(
                &body(json!({"playbook": "hello.yml", "extra_vars": {name: "x"}})),
                None,
                &p,
            )
            .unwrap_err();
            assert_eq!(err.field, "extra_vars", "{name}");
            assert!(err.detail.contains(name), "{err}");
        }
        // Exact names only: a longer name, or a name inside a value, is the client's.
        let ok = json!({"playbook": "hello.yml", "extra_vars": {"hostname": 1, "my_groups": 2, "cfg": {"hostvars": 3}}});
        assert!(parse(&body(ok), None, &p).is_ok());
    }

    #[test]
    fn inventory_files_with_an_execute_bit_are_scripts() {
        let (d, p) = project();
        let script = d.path().join("inventories/dyn.sh");
        fs::write(&script, "#!/bin/sh\necho {}\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o744)).unwrap();
        let b = json!({"playbook": "hello.yml", "inventory": "inventories/dyn.sh"});
        let err = parse(&body(b.clone()), None, &p).unwrap_err();
        assert_eq!(err.field, "inventory");
        assert!(err.detail.contains("--allow-inventory-scripts"), "{err}");
        // Any one of the three bits is enough for ansible-core to run it.
        for mode in [0o644 | 0o010, 0o644 | 0o001] {
            fs::set_permissions(&script, fs::Permissions::from_mode(mode)).unwrap();
            assert!(p.inventory_file("inventories/dyn.sh").is_err(), "{mode:o}");
        }
        let allowed = p.clone().with_inventory_scripts(true);
        assert!(parse(&body(b.clone()), None, &allowed).is_ok());
        fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(parse(&body(b), None, &p).is_ok());
        // Through a symlink, the target's mode counts.
        std::os::unix::fs::symlink("dyn.sh", d.path().join("inventories/link.ini")).unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            p.inventory_file("inventories/link.ini").unwrap_err().field,
            "inventory"
        );
    }

    #[test]
    fn other_fields() {
        let (_d, p) = project();
        let cases = [
            (json!({"playbook": "hello.yml", "color": 1}), "color"),
            (json!({"playbook": "hello.yml", "name": "a/b"}), "name"),
            (
                json!({"playbook": "hello.yml", "restart": "sometimes"}),
                "restart",
            ),
            (json!({"playbook": "hello.yml", "timeout": 0}), "timeout"),
            (json!({"playbook": "hello.yml", "timeout": -1}), "timeout"),
            (json!({"playbook": "hello.yml", "timeout": 1.5}), "timeout"),
            (
                json!({"playbook": "hello.yml", "timeout": 604801.0}),
                "timeout",
            ),
            (json!({"playbook": "hello.yml", "limit": "a;rm"}), "limit"),
            (json!({"playbook": "hello.yml", "tags": ["a", 1]}), "tags"),
            (json!({"playbook": "hello.yml", "tags": "a,,b"}), "tags"),
            (json!({"playbook": "hello.yml", "tags": "a,\tb"}), "tags"),
            (json!({"playbook": "hello.yml", "tags": ""}), "tags"),
            (json!({"playbook": "hello.yml", "check": "yes"}), "check"),
        ];
        for (b, f) in cases {
            assert_eq!(field_of(b.clone(), &p), f, "{b}");
        }
        let spec = parse(
            &body(json!({"playbook": "hello.yml", "tags": "a, b", "limit": "web*:!db[0:3]", "timeout": 5, "check": true})),
            Some("k1"),
            &p,
        )
        .unwrap();
        assert_eq!(spec.tags, Some(vec!["a".into(), "b".into()]));
        assert_eq!(spec.name.as_deref(), Some("k1"));
        let other = parse(
            &body(json!({"playbook": "hello.yml", "timeout": 5.0})),
            None,
            &p,
        )
        .unwrap();
        assert_eq!(
            other.timeout,
            Some(5),
            "5.0 is the integer 5 to JSON Schema"
        );
        let other = parse(
            &body(json!({"playbook": "hello.yml", "tags": []})),
            None,
            &p,
        )
        .unwrap();
        assert_eq!(other.tags, None, "an empty list is no tags");
        let err = parse(
            &body(json!({"playbook": "hello.yml", "name": "a"})),
            Some("b"),
            &p,
        )
        .unwrap_err();
        assert_eq!(err.field, "name");
    }
}
