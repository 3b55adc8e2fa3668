//! The TOML config file: where it lives, reading it, and rewriting it atomically with mode 0600.
//!
//! The file is kept as a plain TOML table so keys this version does not know survive a rewrite;
//! only the profile fields below are read or written.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The largest config file read. Even hundreds of profiles take a few hundred KB; a larger
/// "file" is the wrong path (`--config /dev/zero`), and reading it whole would never end.
pub const MAX_CONFIG_BYTES: u64 = crate::files::MAX_FILE_BYTES;

/// The fields of one `[profiles.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub connection_string: Option<String>,
    pub connection_string_env: Option<String>,
    pub endpoint: Option<String>,
    pub access_key: Option<String>,
    pub access_key_env: Option<String>,
    pub hub: Option<String>,
    pub auth: Option<String>,
    pub api_version: Option<String>,
    /// API Management or Application Gateway in front of the service (the SDKs' name).
    pub reverse_proxy_endpoint: Option<String>,
}

impl Profile {
    const FIELDS: [&'static str; 9] = [
        "connection_string",
        "connection_string_env",
        "endpoint",
        "access_key",
        "access_key_env",
        "hub",
        "auth",
        "api_version",
        "reverse_proxy_endpoint",
    ];

    fn field(&self, name: &str) -> Option<&String> {
        match name {
            "connection_string" => self.connection_string.as_ref(),
            "connection_string_env" => self.connection_string_env.as_ref(),
            "endpoint" => self.endpoint.as_ref(),
            "access_key" => self.access_key.as_ref(),
            "access_key_env" => self.access_key_env.as_ref(),
            "hub" => self.hub.as_ref(),
            "auth" => self.auth.as_ref(),
            "api_version" => self.api_version.as_ref(),
            "reverse_proxy_endpoint" => self.reverse_proxy_endpoint.as_ref(),
            _ => None,
        }
    }

    fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "connection_string" => &mut self.connection_string,
            "connection_string_env" => &mut self.connection_string_env,
            "endpoint" => &mut self.endpoint,
            "access_key" => &mut self.access_key,
            "access_key_env" => &mut self.access_key_env,
            "hub" => &mut self.hub,
            "auth" => &mut self.auth,
            "api_version" => &mut self.api_version,
            "reverse_proxy_endpoint" => &mut self.reverse_proxy_endpoint,
            _ => return None,
        })
    }

    /// Whether the profile holds a secret in clear (not through an `*_env` reference).
    pub fn holds_secret(&self) -> bool {
        self.connection_string.is_some() || self.access_key.is_some()
    }
}

/// Where the config file is: `--config`, else `$WPS_CONFIG`, else `<config dir>/wps/config.toml`.
pub fn config_path(flag: Option<&Path>, env_value: Option<String>) -> Result<PathBuf, String> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = env_value {
        return Ok(PathBuf::from(p));
    }
    dirs::config_dir()
        .map(|d| d.join("wps").join("config.toml"))
        .ok_or_else(|| {
            "cannot find the user config directory; set WPS_CONFIG or pass --config".into()
        })
}

/// Profile names: letters, digits, `-` and `_`, 1 to 64 of them.
pub fn validate_profile_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "invalid profile name '{name}': use 1-64 letters, digits, '-' or '_'"
        )))
    }
}

/// The config file as read (or empty when it does not exist yet).
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    doc: toml::Table,
    /// Permissions as found on disk (unix mode bits), for the readability warning.
    mode: Option<u32>,
}

/// A config error always names the file.
fn config_error(path: &Path, what: impl fmt::Display) -> CliError {
    CliError::Config(format!("config file {}: {what}", path.display()))
}

impl ConfigFile {
    /// An empty config that would be written to `path`.
    pub fn empty(path: PathBuf) -> Self {
        ConfigFile {
            path,
            doc: toml::Table::new(),
            mode: None,
        }
    }

    /// Reads the file (at most [`MAX_CONFIG_BYTES`]); a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, CliError> {
        Self::read(path, Self::parse)
    }

    /// Reads the file to change it (`profile add`, `use`, `remove`): it must be TOML, with
    /// `profiles` a table, but a profile whose values are wrong (`hub = 5`) does not stop the
    /// others from being edited, nor itself from being replaced or removed.
    pub fn load_for_edit(path: &Path) -> Result<Self, CliError> {
        Self::read(path, Self::parse_structure)
    }

    fn read(
        path: &Path,
        parse: fn(&Path, &str) -> Result<Self, CliError>,
    ) -> Result<Self, CliError> {
        let text = match crate::files::read_capped(path, MAX_CONFIG_BYTES, "config file") {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
                config_error(path, "cannot read it: stream did not contain valid UTF-8")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ConfigFile::empty(path.to_path_buf()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                return Err(config_error(path, e))
            }
            Err(e) => return Err(config_error(path, format_args!("cannot read it: {e}"))),
        };
        let config = parse(path, &text)?;
        Ok(ConfigFile {
            mode: file_mode(path),
            ..config
        })
    }

    /// Parses `text` as the content of `path`, checking the known keys' types.
    pub fn parse(path: &Path, text: &str) -> Result<Self, CliError> {
        let config = Self::parse_structure(path, text)?;
        for name in config.profile_names() {
            config.profile(&name)?;
        }
        Ok(config)
    }

    /// [`parse`](Self::parse) without checking each profile's values.
    fn parse_structure(path: &Path, text: &str) -> Result<Self, CliError> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let at = e
                .span()
                .map(|span| {
                    let (line, col) = line_col(text, span.start);
                    format!(" at line {line}, column {col}")
                })
                .unwrap_or_default();
            config_error(
                path,
                format_args!(
                    "invalid TOML{at}: {}",
                    e.message().trim().replace('\n', " ")
                ),
            )
        })?;
        let config = ConfigFile {
            path: path.to_path_buf(),
            doc,
            mode: None,
        };
        if let Some(v) = config.doc.get("default_profile") {
            if !v.is_str() {
                return Err(config_error(path, "default_profile must be a string"));
            }
        }
        match config.doc.get("profiles") {
            None | Some(toml::Value::Table(_)) => {}
            Some(_) => return Err(config_error(path, "`profiles` must be a table")),
        }
        Ok(config)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn default_profile(&self) -> Option<&str> {
        self.doc.get("default_profile").and_then(|v| v.as_str())
    }

    fn profiles(&self) -> Option<&toml::Table> {
        self.doc.get("profiles").and_then(|v| v.as_table())
    }

    /// Profile names, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether there is a profile of that name, valid or not.
    pub fn has_profile(&self, name: &str) -> bool {
        self.profiles().is_some_and(|p| p.contains_key(name))
    }

    /// One profile, or None when there is no such profile.
    pub fn profile(&self, name: &str) -> Result<Option<Profile>, CliError> {
        let Some(value) = self.profiles().and_then(|p| p.get(name)) else {
            return Ok(None);
        };
        let table = value.as_table().ok_or_else(|| {
            config_error(&self.path, format_args!("profile '{name}' must be a table"))
        })?;
        let mut profile = Profile::default();
        for field in Profile::FIELDS {
            if let Some(v) = table.get(field) {
                let s = v.as_str().ok_or_else(|| {
                    config_error(
                        &self.path,
                        format_args!("profile '{name}': `{field}` must be a string"),
                    )
                })?;
                if let Some(slot) = profile.field_mut(field) {
                    *slot = Some(s.to_string());
                }
            }
        }
        Ok(Some(profile))
    }

    /// The error for a profile that does not exist, naming the first few that do (an error is
    /// one line, however many profiles there are).
    pub fn unknown_profile(&self, name: &str, how: Option<&str>) -> CliError {
        const SHOWN: usize = 5;
        let names = self.profile_names();
        let known = if names.is_empty() {
            "there are no profiles; add one with `wps profile add NAME`".to_string()
        } else if names.len() <= SHOWN {
            format!("profiles: {}", names.join(", "))
        } else {
            format!(
                "profiles: {} and {} more (`wps profile list` shows them all)",
                names[..SHOWN].join(", "),
                names.len() - SHOWN
            )
        };
        config_error(
            &self.path,
            format_args!(
                "no profile '{name}'{}; {known}",
                how.map(|h| format!(" (selected by {h})"))
                    .unwrap_or_default()
            ),
        )
    }

    /// Writes the profile's fields into its table, keeping keys this version does not know.
    pub fn set_profile(&mut self, name: &str, profile: &Profile) {
        let profiles = self
            .doc
            .entry("profiles")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !profiles.is_table() {
            *profiles = toml::Value::Table(toml::Table::new());
        }
        let Some(profiles) = profiles.as_table_mut() else {
            return;
        };
        let entry = profiles
            .entry(name)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        if let Some(table) = entry.as_table_mut() {
            for field in Profile::FIELDS {
                match profile.field(field) {
                    Some(v) => {
                        table.insert(field.to_string(), toml::Value::String(v.clone()));
                    }
                    None => {
                        table.remove(field);
                    }
                }
            }
        }
    }

    /// Removes a profile; clears `default_profile` when it named it. False if there was none.
    pub fn remove_profile(&mut self, name: &str) -> bool {
        let removed = self
            .doc
            .get_mut("profiles")
            .and_then(|p| p.as_table_mut())
            .is_some_and(|p| p.remove(name).is_some());
        if removed && self.default_profile() == Some(name) {
            self.doc.remove("default_profile");
        }
        removed
    }

    pub fn set_default_profile(&mut self, name: &str) {
        self.doc.insert(
            "default_profile".into(),
            toml::Value::String(name.to_string()),
        );
    }

    /// Whether any profile holds a key or connection string in clear.
    pub fn holds_secret(&self) -> bool {
        self.profile_names()
            .iter()
            .any(|n| matches!(self.profile(n), Ok(Some(p)) if p.holds_secret()))
    }

    /// A warning when the file holds a secret and others may read it.
    pub fn permission_warning(&self) -> Option<String> {
        let mode = self.mode?;
        (mode & 0o077 != 0 && self.holds_secret()).then(|| {
            format!(
                "warning: config file {} holds an access key and is readable by others (mode {:o}); run `chmod 600 {}`",
                self.path.display(),
                mode & 0o777,
                self.path.display()
            )
        })
    }

    /// Writes the file atomically: a private temp file in the same directory, then a rename.
    pub fn save(&self) -> Result<(), CliError> {
        let text = toml::to_string(&self.doc)
            .map_err(|e| config_error(&self.path, format_args!("cannot serialise it: {e}")))?;
        write_private_atomic(&self.path, text.as_bytes())
            .map_err(|e| config_error(&self.path, format_args!("cannot write it: {e}")))
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

/// The file a write to `path` replaces: `path`, or where its symlinks lead. A config kept
/// elsewhere and linked in (a dotfiles repository) must stay linked, not be replaced by a copy.
fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    // What the kernel allows (ELOOP), so a link cycle ends.
    const MAX_LINKS: usize = 40;
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            // Not a link, or not there yet (a dangling link's target is created).
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = &resolve_symlinks(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = open_private(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(Path::new("/x/config.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_design_example() {
        let c = parse(
            r#"default_profile = "dev"
[profiles.dev]
connection_string = "Endpoint=http://localhost;Port=8080;AccessKey=k;Version=1.0;"
hub = "chat"
[profiles.ci]
connection_string_env = "PROD"
"#,
        )
        .unwrap();
        assert_eq!(c.default_profile(), Some("dev"));
        assert_eq!(c.profile_names(), vec!["ci", "dev"]);
        assert_eq!(
            c.profile("dev").unwrap().unwrap().hub.as_deref(),
            Some("chat")
        );
        assert!(c.profile("nope").unwrap().is_none());
        assert!(c.holds_secret());
    }

    #[test]
    fn bad_toml_names_file_line_and_column() {
        let e = parse("a = 1\nb = = 2\n").unwrap_err();
        assert!(e.contains("/x/config.toml"), "{e}");
        assert!(e.contains("line 2, column"), "{e}");
        assert!(!e.contains('\n'));
        let e = parse("[profiles.dev]\nhub = 3\n").unwrap_err();
        assert!(e.contains("`hub` must be a string"), "{e}");
    }

    #[test]
    fn rewrite_keeps_unknown_keys() {
        let mut c = parse("color = \"never\"\n[profiles.dev]\nhub = \"a\"\nextra = 1\n").unwrap();
        c.set_profile(
            "dev",
            &Profile {
                hub: Some("b".into()),
                ..Default::default()
            },
        );
        let out = toml::to_string(&c.doc).unwrap();
        let back = parse(&out).unwrap();
        assert_eq!(back.doc["color"].as_str(), Some("never"));
        assert_eq!(back.doc["profiles"]["dev"]["extra"].as_integer(), Some(1));
        assert_eq!(
            back.profile("dev").unwrap().unwrap().hub.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn an_unknown_profile_names_a_few_and_counts_the_rest() {
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!("[profiles.p{i:05}]\n"));
        }
        let e = parse(&text)
            .unwrap()
            .unknown_profile("nope", None)
            .to_string();
        assert!(
            e.ends_with(
                "no profile 'nope'; profiles: p00000, p00001, p00002, p00003, p00004 and 9995 more (`wps profile list` shows them all)"
            ),
            "{e}"
        );
        let e = parse("[profiles.a]\n[profiles.b]\n")
            .unwrap()
            .unknown_profile("c", None);
        assert!(e.to_string().ends_with("profiles: a, b"), "{e}");
    }

    #[test]
    fn remove_clears_the_default() {
        let mut c = parse("default_profile = \"a\"\n[profiles.a]\n[profiles.b]\n").unwrap();
        assert!(c.remove_profile("a"));
        assert!(!c.remove_profile("a"));
        assert_eq!(c.default_profile(), None);
        assert_eq!(c.profile_names(), vec!["b"]);
    }

    #[test]
    fn profile_names_are_checked() {
        assert!(validate_profile_name("dev-1_x").is_ok());
        for bad in ["", "a b", "a.b", "ü", &"a".repeat(65)] {
            assert!(validate_profile_name(bad).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn save_writes_through_a_chain_of_links_and_stops_at_a_cycle() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real/config.toml", dir.path().join("hop")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("hop"), dir.path().join("config.toml")).unwrap();
        let link = dir.path().join("config.toml");
        let mut c = ConfigFile::empty(link.clone());
        c.set_default_profile("a");
        c.save().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert!(std::fs::symlink_metadata(dir.path().join("hop"))
            .unwrap()
            .is_symlink());
        let real = std::fs::read_to_string(dir.path().join("real/config.toml")).unwrap();
        assert!(real.contains("default_profile"), "{real}");

        std::os::unix::fs::symlink("loop2", dir.path().join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", dir.path().join("loop2")).unwrap();
        let e = ConfigFile::empty(dir.path().join("loop1"))
            .save()
            .unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn save_is_private_and_creates_the_directory() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/wps/config.toml");
        let mut c = ConfigFile::empty(path.clone());
        c.set_profile(
            "p",
            &Profile {
                access_key: Some("k".into()),
                ..Default::default()
            },
        );
        c.save().unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let loaded = ConfigFile::load(&path).unwrap();
        assert!(loaded.permission_warning().is_none());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let loaded = ConfigFile::load(&path).unwrap();
        assert!(loaded.permission_warning().unwrap().contains("chmod 600"));
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
