// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `~/.oci/config`, read the way the OCI CLI reads it: INI without interpolation, case-sensitive
//! profile names, every profile inheriting the keys of `[DEFAULT]`, `~` expanded in file paths,
//! `OCI_CLI_CONFIG_FILE` and `OCI_CLI_PROFILE` honoured.

use crate::error::OciError;
use std::collections::HashMap;
use std::path::PathBuf;

/// The keys of one profile that signing and addressing need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile's section name.
    pub name: String,
    /// The config file it came from, for messages.
    pub file: PathBuf,
    /// The user OCID; absent for a session-token profile.
    pub user: Option<String>,
    /// The tenancy OCID.
    pub tenancy: String,
    /// The key's fingerprint as configured; checked against the key when given.
    pub fingerprint: Option<String>,
    /// The PEM private key, `~` expanded.
    pub key_file: PathBuf,
    /// The key's pass phrase, for an encrypted key.
    pub pass_phrase: Option<String>,
    /// The region name or short code, e.g. `us-ashburn-1` or `iad`.
    pub region: String,
    /// A session token (`oci session authenticate`), used instead of `user` when set.
    pub security_token_file: Option<PathBuf>,
}

/// `$OCI_CLI_CONFIG_FILE`, else `~/.oci/config`.
pub fn default_config_file() -> PathBuf {
    if let Some(p) = std::env::var_os("OCI_CLI_CONFIG_FILE").filter(|p| !p.is_empty()) {
        return expand_home(&p.to_string_lossy());
    }
    expand_home("~/.oci/config")
}

/// `$OCI_CLI_PROFILE`, else `DEFAULT`.
pub fn default_profile() -> String {
    std::env::var("OCI_CLI_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "DEFAULT".to_string())
}

/// Expands a leading `~` or `~/` to `$HOME` (only the current user's, as the OCI CLI does);
/// anything else is taken as it is.
pub fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(path)),
        None if path == "~" => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default(),
        None => PathBuf::from(path),
    }
}

/// Loads a profile from a config file (`None`: the CLI's default file and profile).
pub fn load(file: Option<&str>, profile: Option<&str>) -> Result<Profile, OciError> {
    let path = file.map(expand_home).unwrap_or_else(default_config_file);
    let name = profile.map(str::to_string).unwrap_or_else(default_profile);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| OciError::Config(format!("cannot read {}: {e}", path.display())))?;
    parse(&text, &path, &name)
}

/// Parses config text and picks profile `name`, `[DEFAULT]` keys underneath. `path` is where the
/// text came from: it goes into messages and [`Profile::file`]. Never panics (a fuzz entry point).
pub fn parse(text: &str, path: &std::path::Path, name: &str) -> Result<Profile, OciError> {
    let ini = ini::Ini::load_from_str_opt(
        text,
        ini::ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            ..Default::default()
        },
    )
    .map_err(|e| {
        OciError::Config(format!(
            "{} is not a valid config file: {e}",
            path.display()
        ))
    })?;
    let mut keys: HashMap<String, String> = HashMap::new();
    // [DEFAULT] first, then the profile's own keys on top.
    for section in ["DEFAULT", name] {
        if let Some(props) = ini.section(Some(section)) {
            for (k, v) in props.iter() {
                keys.insert(k.to_lowercase(), v.trim().to_string());
            }
        }
    }
    if ini.section(Some(name)).is_none() {
        let known: Vec<&str> = ini.sections().flatten().collect();
        return Err(OciError::Config(format!(
            "profile '{name}' not found in {}; profiles there: {}",
            path.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    let need = |k: &str| {
        keys.get(k)
            .cloned()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                OciError::Config(format!(
                    "profile '{name}' in {} has no '{k}'",
                    path.display()
                ))
            })
    };
    let security_token_file = keys
        .get("security_token_file")
        .filter(|v| !v.is_empty())
        .map(|v| expand_home(v));
    let user = keys.get("user").cloned().filter(|v| !v.is_empty());
    if user.is_none() && security_token_file.is_none() {
        return Err(OciError::Config(format!(
            "profile '{name}' in {} has neither 'user' (API key) nor 'security_token_file' (session)",
            path.display()
        )));
    }
    Ok(Profile {
        name: name.to_string(),
        file: path.to_path_buf(),
        user,
        tenancy: need("tenancy")?,
        fingerprint: keys.get("fingerprint").cloned().filter(|v| !v.is_empty()),
        key_file: expand_home(&need("key_file")?),
        pass_phrase: keys.get("pass_phrase").cloned().filter(|v| !v.is_empty()),
        region: need("region")?,
        security_token_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const CONFIG: &str = "\
[DEFAULT]
tenancy=ocid1.tenancy.oc1..aaaa
region=us-ashburn-1
key_file=~/.oci/key.pem
fingerprint=aa:bb

[work]
user=ocid1.user.oc1..bbbb
region = eu-frankfurt-1
pass_phrase=p%s;#x

[Work]
user=ocid1.user.oc1..cccc

[session]
security_token_file=/tmp/token
key_file=/tmp/s.pem
";

    #[test]
    fn profiles_inherit_default_and_are_case_sensitive() {
        let p = parse(CONFIG, Path::new("/c"), "work").unwrap();
        assert_eq!(p.user.as_deref(), Some("ocid1.user.oc1..bbbb"));
        assert_eq!(p.tenancy, "ocid1.tenancy.oc1..aaaa");
        assert_eq!(p.region, "eu-frankfurt-1");
        assert_eq!(
            p.pass_phrase.as_deref(),
            Some("p%s;#x"),
            "no interpolation, no comment stripping"
        );
        assert!(p.key_file.ends_with(".oci/key.pem") && !p.key_file.starts_with("~"));
        let upper = parse(CONFIG, Path::new("/c"), "Work").unwrap();
        assert_eq!(upper.user.as_deref(), Some("ocid1.user.oc1..cccc"));
    }

    #[test]
    fn session_profiles_need_no_user() {
        let p = parse(CONFIG, Path::new("/c"), "session").unwrap();
        assert_eq!(p.user, None);
        assert_eq!(p.security_token_file, Some(PathBuf::from("/tmp/token")));
    }

    #[test]
    fn clear_errors() {
        let e = parse(CONFIG, Path::new("/c"), "nope")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("profile 'nope' not found in /c") && e.contains("work"),
            "{e}"
        );
        let e = parse("[DEFAULT]\nregion=x\n", Path::new("/c"), "DEFAULT")
            .unwrap_err()
            .to_string();
        assert!(e.contains("neither 'user'"), "{e}");
    }
}
