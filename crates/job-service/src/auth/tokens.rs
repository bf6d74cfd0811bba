// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The tokens `serve` accepts, each with a name and a scope: the lines of `--tokens-file`, plus
//! the one token of `--token-file` (or the generated `<data-dir>/token`), named `default` with
//! the `admin` scope. SIGHUP reads the files again; a file that no longer passes leaves the
//! tokens as they were.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use subtle::{Choice, ConstantTimeEq};

use super::{token, Caller, Scope};
use crate::CommandError;
use tokio_util::sync::CancellationToken;

/// The name of the single token (`--token-file` or the generated one).
pub const DEFAULT_NAME: &str = "default";
/// The caller of every request under `--no-token`.
pub const ANONYMOUS: &str = "anonymous";
/// A secret shorter than this is refused: 16 visible characters, as the single token.
pub const MIN_SECRET: usize = 16;
/// Longer than any header a client would send; a longer line is a mistake.
pub const MAX_SECRET: usize = 4096;
const MAX_NAME: usize = 64;

impl Scope {
    /// The name in the tokens file, in messages and in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Admin => "admin",
        }
    }

    /// `read`, `submit` or `admin`; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        [Scope::Read, Scope::Submit, Scope::Admin]
            .into_iter()
            .find(|sc| sc.as_str() == s)
    }
}

struct Entry {
    name: String,
    scope: Scope,
    secret: Vec<u8>,
}

/// One reading of the files: the tokens, in the order they were read.
pub struct TokenSet {
    entries: Vec<Entry>,
}

impl TokenSet {
    /// The caller whose secret `given` is, or `None`. Every entry is compared, each in time
    /// that depends only on its own secret's length, so neither which token matched nor how
    /// much of one did shows in the answer's timing.
    pub fn find(&self, given: &[u8]) -> Option<Caller> {
        let mut found: Option<&Entry> = None;
        for e in &self.entries {
            let hit = bool::from(matches(given, &e.secret));
            // Secrets are unique (checked at load), so at most one hits; no early exit.
            if hit {
                found = Some(e);
            }
        }
        found.map(|e| Caller {
            name: e.name.clone(),
            scope: e.scope,
        })
    }

    /// `name (scope)` of each token, for the start line; never a secret.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(|e| format!("{} ({})", e.name, e.scope.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Equal in length and bytes, in time that depends on `secret`'s length only: subtle's slice
/// compare returns at once when the lengths differ, which would tell a client each secret's
/// length.
fn matches(given: &[u8], secret: &[u8]) -> Choice {
    let mut same = (given.len() as u64).ct_eq(&(secret.len() as u64));
    for (i, b) in secret.iter().enumerate() {
        same &= given.get(i).copied().unwrap_or(0).ct_eq(b);
    }
    same
}

/// Where the tokens come from, to read them again on SIGHUP.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `--token-file`, or the generated `<data-dir>/token`: the `default` token, `admin`.
    pub single: Option<(PathBuf, &'static str)>,
    /// `--tokens-file`.
    pub file: Option<PathBuf>,
}

/// The tokens in force; `reload` swaps them whole.
pub struct Tokens {
    sources: Sources,
    set: RwLock<Arc<TokenSet>>,
}

impl Tokens {
    /// Reads every source; any fault is a usage error naming the file (and the line).
    pub fn load(sources: Sources) -> Result<Self, CommandError> {
        let set = read_all(&sources)?;
        Ok(Self {
            sources,
            set: RwLock::new(Arc::new(set)),
        })
    }

    pub fn current(&self) -> Arc<TokenSet> {
        self.set.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Reads the files again (SIGHUP). On a fault the tokens stay as they were.
    pub fn reload(&self) -> Result<Arc<TokenSet>, CommandError> {
        let set = Arc::new(read_all(&self.sources)?);
        *self.set.write().unwrap_or_else(|p| p.into_inner()) = set.clone();
        Ok(set)
    }

    /// The files read, for the start line.
    pub fn files(&self) -> String {
        let mut out = vec![];
        if let Some((p, _)) = &self.sources.single {
            out.push(format!("token in {}", p.display()));
        }
        if let Some(p) = &self.sources.file {
            out.push(format!("tokens in {}", p.display()));
        }
        out.join(", ")
    }
}

/// The tokens `serve` accepts: `--tokens-file`, and the single token (`--token-file`, or the one
/// generated in the data dir when neither file is given); `None` under `--no-token`.
pub fn resolve(
    token_file: Option<&Path>,
    tokens_file: Option<&Path>,
    no_token: bool,
    data_dir: &Path,
) -> Result<Option<Tokens>, CommandError> {
    // With a tokens file the operator names every token: none is generated beside them.
    let single = if tokens_file.is_some() && token_file.is_none() {
        None
    } else {
        let what = if token_file.is_some() {
            "--token-file"
        } else {
            "the generated token file"
        };
        match token::resolve(token_file, no_token, data_dir)? {
            Some(t) => Some((t.path, what)),
            None => return Ok(None),
        }
    };
    Tokens::load(Sources {
        single,
        file: tokens_file.map(Path::to_path_buf),
    })
    .map(Some)
}

/// SIGHUP reads the token files again, so that a token can be added or revoked without a
/// restart (running jobs and held requests go on). A file that no longer passes is logged and
/// the tokens stay as they were.
pub fn reload_on_hangup(
    tokens: Option<Arc<Tokens>>,
    stopped: CancellationToken,
) -> Result<(), CommandError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup())
        .map_err(|e| CommandError::Runtime(format!("cannot handle SIGHUP: {e}")))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                got = hup.recv() => if got.is_none() { return },
                () = stopped.cancelled() => return,
            }
            match &tokens {
                None => tracing::info!("SIGHUP: no tokens to read again (--no-token)"),
                Some(t) => match t.reload() {
                    Ok(set) => {
                        tracing::info!(tokens = %set.describe(), "SIGHUP: tokens read again")
                    }
                    Err(CommandError::Usage(e) | CommandError::Runtime(e)) => {
                        tracing::error!("SIGHUP: {e}; the tokens stay as they were")
                    }
                },
            }
        }
    });
    Ok(())
}

fn read_all(sources: &Sources) -> Result<TokenSet, CommandError> {
    let mut entries = Vec::new();
    if let Some((path, what)) = &sources.single {
        entries.push(Entry {
            name: DEFAULT_NAME.into(),
            scope: Scope::Admin,
            secret: token::read(path, what)?,
        });
    }
    if let Some(path) = &sources.file {
        let text = token::read_secret_file(path, "--tokens-file")?;
        entries.extend(parse(&text, path, !entries.is_empty())?);
        // One secret for two names would make the submitter a guess.
        for (i, e) in entries.iter().enumerate() {
            if let Some(twin) = entries[..i].iter().find(|o| o.secret == e.secret) {
                return Err(CommandError::Usage(format!(
                    "--tokens-file {}: {:?} and {:?} have the same secret: give each its own",
                    path.display(),
                    twin.name,
                    e.name
                )));
            }
        }
    }
    Ok(TokenSet { entries })
}

/// The lines of a tokens file: `name scope secret`, `#` comment lines and blank lines skipped.
/// `with_default`: the single token is in use, so the name `default` is taken.
fn parse(text: &str, path: &Path, with_default: bool) -> Result<Vec<Entry>, CommandError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |why: String| {
            CommandError::Usage(format!(
                "--tokens-file {} line {}: {why}",
                path.display(),
                i + 1
            ))
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_ascii_whitespace().collect();
        let [name, scope, secret] = words[..] else {
            return Err(at(format!(
                "{} words; each line is `name scope secret` (scope read, submit or admin), or a # comment",
                words.len()
            )));
        };
        let name_ok = name.len() <= MAX_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !name_ok {
            return Err(at(format!(
                "name {name:?}: use 1 to {MAX_NAME} letters, digits, `_`, `.` or `-`"
            )));
        }
        if name == DEFAULT_NAME && with_default {
            return Err(at(format!(
                "the name {DEFAULT_NAME:?} is the token of --token-file (or <data-dir>/token): give this one another name"
            )));
        }
        if entries.iter().any(|e| e.name == name) {
            return Err(at(format!(
                "name {name:?} is given twice: each token needs a name of its own (jobs record it)"
            )));
        }
        let scope = Scope::parse(scope).ok_or_else(|| {
            at(format!(
                "scope {scope:?}: use read, submit or admin (each includes the ones before)"
            ))
        })?;
        // Never echoed: a message may end up in a log others read.
        if secret.len() < MIN_SECRET || secret.len() > MAX_SECRET {
            return Err(at(format!(
                "the secret of {name:?} has {} characters: give {MIN_SECRET} to {MAX_SECRET} (openssl rand -hex 32)",
                secret.len()
            )));
        }
        if !secret.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(at(format!(
                "the secret of {name:?} must be visible ASCII (a header carries nothing else); write a new one, e.g. openssl rand -hex 32"
            )));
        }
        entries.push(Entry {
            name: name.to_string(),
            scope,
            secret: secret.as_bytes().to_vec(),
        });
    }
    if entries.is_empty() && !with_default {
        return Err(CommandError::Usage(format!(
            "--tokens-file {}: no tokens in it, so nobody could call the API: add a line `name scope secret`",
            path.display()
        )));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("tokens");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    fn usage(r: Result<Tokens, CommandError>) -> String {
        match r {
            Err(CommandError::Usage(m)) => m,
            Err(CommandError::Runtime(m)) => panic!("runtime, not usage: {m}"),
            Ok(_) => panic!("accepted"),
        }
    }

    const A: &str = "aaaaaaaaaaaaaaaa1";
    const B: &str = "bbbbbbbbbbbbbbbb2";

    #[test]
    fn lines_give_names_and_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            dir.path(),
            &format!("# who may call\n\n  ci submit {A}\nmon.itor-1\tread   {B}  \n"),
        );
        let t = Tokens::load(Sources {
            single: None,
            file: Some(p),
        })
        .unwrap();
        let set = t.current();
        assert_eq!(set.describe(), "ci (submit), mon.itor-1 (read)");
        let ci = set.find(A.as_bytes()).unwrap();
        assert_eq!((ci.name.as_str(), ci.scope), ("ci", Scope::Submit));
        assert_eq!(set.find(B.as_bytes()).unwrap().scope, Scope::Read);
        for wrong in ["", "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa12", "ci"] {
            assert!(set.find(wrong.as_bytes()).is_none(), "{wrong}");
        }
    }

    #[test]
    fn faults_name_the_file_and_the_line_never_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        for (text, line, says) in [
            ("ci submit\n".to_string(), 1, "2 words".to_string()),
            (format!("# c\nci write {A}\n"), 2, "scope \"write\"".into()),
            (format!("c/i read {A}\n"), 1, "name \"c/i\"".into()),
            (
                format!("{} read {A}\n", "n".repeat(65)),
                1,
                "1 to 64".into(),
            ),
            ("ci read short\n".to_string(), 1, "has 5 characters".into()),
            (
                format!("ci read {A}\nci admin {B}\n"),
                2,
                "given twice".into(),
            ),
            (format!("ci read {A}é\n"), 1, "visible ASCII".into()),
            (format!("ci read {A} x\n"), 1, "4 words".into()),
        ] {
            let p = file(dir.path(), &text);
            let m = usage(Tokens::load(Sources {
                single: None,
                file: Some(p.clone()),
            }));
            let at = format!("--tokens-file {} line {line}: ", p.display());
            assert!(m.starts_with(&at) && m.contains(&says), "{text:?}: {m}");
            assert!(!m.contains(A) && !m.contains(B), "{m}");
        }
        let p = file(dir.path(), &format!("a read {A}\nb admin {A}\n"));
        let m = usage(Tokens::load(Sources {
            single: None,
            file: Some(p),
        }));
        assert!(m.contains("same secret") && !m.contains(A), "{m}");
        let p = file(dir.path(), "# nothing\n");
        let m = usage(Tokens::load(Sources {
            single: None,
            file: Some(p),
        }));
        assert!(m.contains("no tokens"), "{m}");
    }

    #[test]
    fn the_file_checks_of_the_token_file_apply() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(dir.path(), &format!("ci read {A}\n"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let m = usage(Tokens::load(Sources {
            single: None,
            file: Some(p.clone()),
        }));
        assert!(m.contains("chmod 600"), "{m}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let m = usage(Tokens::load(Sources {
            single: None,
            file: Some(link),
        }));
        assert!(m.contains("--tokens-file"), "{m}");
    }

    #[test]
    fn the_single_token_is_default_admin_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let single = dir.path().join("token");
        std::fs::write(&single, "0123456789abcdef0123\n").unwrap();
        std::fs::set_permissions(&single, std::fs::Permissions::from_mode(0o600)).unwrap();
        let p = file(dir.path(), &format!("ci read {A}\n"));
        let t = Tokens::load(Sources {
            single: Some((single.clone(), "--token-file")),
            file: Some(p.clone()),
        })
        .unwrap();
        let c = t.current().find(b"0123456789abcdef0123").unwrap();
        assert_eq!((c.name.as_str(), c.scope), (DEFAULT_NAME, Scope::Admin));
        let p = file(dir.path(), &format!("default read {A}\n"));
        let m = usage(Tokens::load(Sources {
            single: Some((single.clone(), "--token-file")),
            file: Some(p.clone()),
        }));
        assert!(m.contains("line 1") && m.contains("another name"), "{m}");
        let p = file(dir.path(), "ci read 0123456789abcdef0123\n");
        let m = usage(Tokens::load(Sources {
            single: Some((single, "--token-file")),
            file: Some(p),
        }));
        assert!(
            m.contains("same secret") && !m.contains("0123456789abcdef0123"),
            "{m}"
        );
    }

    #[test]
    fn reload_swaps_the_tokens_and_keeps_them_on_a_fault() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(dir.path(), &format!("ci read {A}\n"));
        let t = Tokens::load(Sources {
            single: None,
            file: Some(p.clone()),
        })
        .unwrap();
        file(dir.path(), &format!("ci admin {B}\n"));
        t.reload().unwrap();
        assert!(t.current().find(A.as_bytes()).is_none());
        assert_eq!(t.current().find(B.as_bytes()).unwrap().scope, Scope::Admin);
        file(dir.path(), "ci admin short\n");
        assert!(t.reload().is_err());
        assert_eq!(t.current().find(B.as_bytes()).unwrap().scope, Scope::Admin);
    }
}
