//! Store URLs (DESIGN §12.10, §14): the `schema` parameter, the checks a URL passes before it
//! reaches the driver, and the URL as messages show it — never with its password.

use super::super::JournalError;
use std::fmt;
use std::str::FromStr;

/// What a store URL looks like, for messages that refuse one.
const EXPECTED: &str = "expected postgres://USER@HOST[:PORT]/DB[?schema=NAME]";

/// The name of the PostgreSQL schema that holds the journal table (default `public`): 1–63
/// bytes of `[A-Za-z0-9_]`, not starting with a digit, so that it fits PostgreSQL's identifier
/// limit and quoting it (every statement names `"SCHEMA"."authority_lane_journal"`) never
/// needs an escape. Quoted names are case-sensitive: `Audit` and `audit` are two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgSchema(String);

impl PgSchema {
    /// Checks `name` (see the type's documentation).
    pub fn new(name: &str) -> Result<PgSchema, PgUrlError> {
        let ok = (1..=63).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if ok {
            Ok(PgSchema(name.to_owned()))
        } else {
            Err(PgUrlError::BadSchema { len: name.len() })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for PgSchema {
    /// `public`.
    fn default() -> Self {
        PgSchema("public".to_owned())
    }
}

impl FromStr for PgSchema {
    type Err = PgUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PgSchema::new(s)
    }
}

impl fmt::Display for PgSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a store URL was refused before any connection was tried. No variant holds the URL's
/// password or, for a scheme other than PostgreSQL's, anything after the scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PgUrlError {
    /// The URL names a scheme other than `postgres` or `postgresql`.
    #[error("unknown store scheme {0:?}; {EXPECTED}")]
    UnknownScheme(String),
    /// The URL starts with `postgres:` (or `postgresql:`) but not `postgres://`.
    #[error("a {0} URL starts with {0}://; {EXPECTED}")]
    NoAuthority(String),
    /// The `schema` parameter is not a schema name [`PgSchema`] accepts.
    #[error(
        "the schema parameter ({len} bytes) is not a schema name: 1-63 bytes of [A-Za-z0-9_], not starting with a digit"
    )]
    BadSchema {
        /// Its length in bytes (the name itself is not echoed).
        len: usize,
    },
    /// The `schema` parameter is given twice.
    #[error("{shown}: the schema parameter is given twice")]
    SchemaTwice {
        /// The URL without its password.
        shown: String,
    },
    /// An `@`, `/` or `?` in the user name or password: the driver would read a different user,
    /// password or host than the URL seems to name (and could send a piece of the password as a
    /// host or user name).
    #[error(
        "{shown}: the user name or password holds an unescaped '@', '/' or '?'; percent-encode them (%40, %2F, %3F)"
    )]
    AmbiguousUserinfo {
        /// The URL without its password.
        shown: String,
    },
    /// The driver refused the URL or connection string.
    #[error("{shown}: {reason}")]
    Invalid {
        /// The URL without its password.
        shown: String,
        /// The driver's reason, free of the URL's text.
        reason: String,
    },
}

impl PgUrlError {
    /// The URL as [`JournalError::Store`] names it.
    fn store(&self) -> String {
        match self {
            PgUrlError::UnknownScheme(scheme) | PgUrlError::NoAuthority(scheme) => {
                format!("{scheme}:…")
            }
            PgUrlError::BadSchema { .. } => "<store URL>".to_owned(),
            PgUrlError::SchemaTwice { shown }
            | PgUrlError::AmbiguousUserinfo { shown }
            | PgUrlError::Invalid { shown, .. } => shown.clone(),
        }
    }
}

impl From<PgUrlError> for JournalError {
    fn from(e: PgUrlError) -> JournalError {
        let store = e.store();
        let message = match e {
            // The store is already named: say only what is wrong with it.
            PgUrlError::SchemaTwice { .. } => "the schema parameter is given twice".to_owned(),
            PgUrlError::AmbiguousUserinfo { .. } => "the user name or password holds an unescaped '@', '/' or '?'; percent-encode them (%40, %2F, %3F)".to_owned(),
            PgUrlError::Invalid { reason, .. } => reason,
            other => other.to_string(),
        };
        JournalError::Store { store, message }
    }
}

/// A checked PostgreSQL store: a URL `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]`
/// (`postgresql://` too), or a libpq-style `key=value` connection string.
///
/// The URL parameter `schema=NAME` names the schema of the journal table (default `public`);
/// it is taken out before the URL reaches the driver. Every other parameter is the driver's
/// (`sslmode`, `connect_timeout`, `password`, …). A `key=value` string takes no `schema`: use
/// [`PgBackend::in_schema`](super::PgBackend::in_schema).
///
/// [`Display`](fmt::Display) shows the URL without its password (the userinfo's, split on the
/// last `@` before the host, and any `password=` parameter's): what every message names.
#[derive(Clone)]
pub struct PgUrl {
    config: postgres::Config,
    schema: PgSchema,
    shown: String,
    /// The password as written and as decoded, to scrub from any text the server or the
    /// driver sends back.
    secrets: Vec<String>,
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PgUrl").field(&self.shown).finish()
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgUrl {
    /// The schema the URL names (`public` unless `?schema=NAME`).
    pub fn schema(&self) -> &PgSchema {
        &self.schema
    }

    /// The driver's configuration (without the `schema` parameter).
    pub(super) fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// `text` with every occurrence of the URL's password replaced by `***`: for what the
    /// server or the driver says, which this crate does not write itself.
    pub(super) fn scrub(&self, text: &str) -> String {
        scrub(&self.secrets, text)
    }
}

impl FromStr for PgUrl {
    type Err = PgUrlError;

    fn from_str(text: &str) -> Result<PgUrl, PgUrlError> {
        let Some((scheme, after)) = scheme_of(text) else {
            return key_value(text);
        };
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(PgUrlError::UnknownScheme(scheme.to_owned()));
        }
        let Some(rest) = after.strip_prefix("//") else {
            return Err(PgUrlError::NoAuthority(scheme.to_owned()));
        };
        let shown = redact(text);
        let parts = Parts::of(rest);
        if parts.ambiguous {
            return Err(PgUrlError::AmbiguousUserinfo { shown });
        }
        let mut secrets = Vec::new();
        if let Some(password) = parts.userinfo.and_then(|u| u.split_once(':')).map(|u| u.1) {
            secrets.extend([password.to_owned(), decode(password)]);
        }
        let mut schema = None;
        let mut kept = Vec::new();
        for (key, value) in params(parts.query.unwrap_or("")) {
            let Some(value) = value else {
                return Err(PgUrlError::Invalid {
                    shown,
                    reason: "a parameter without `=` (unterminated parameter)".into(),
                });
            };
            if decode(key) == "schema" {
                if schema.is_some() {
                    return Err(PgUrlError::SchemaTwice { shown });
                }
                schema = Some(PgSchema::new(&decode(value))?);
                continue;
            }
            if is_password(key) {
                secrets.extend([value.to_owned(), decode(value)]);
            }
            kept.push(format!("{key}={value}"));
        }
        let mut url = format!("{scheme}://");
        if let Some(userinfo) = parts.userinfo {
            url.push_str(userinfo);
            url.push('@');
        }
        url.push_str(parts.before_query);
        if !kept.is_empty() {
            url.push('?');
            url.push_str(&kept.join("&"));
        }
        let config = driver_config(&url, &shown, &secrets)?;
        if let Some(password) = config.get_password() {
            secrets.push(String::from_utf8_lossy(password).into_owned());
        }
        Ok(PgUrl {
            config,
            schema: schema.unwrap_or_default(),
            shown,
            secrets: cleaned(secrets),
        })
    }
}

/// A `key=value` connection string: shown as its host, port, user and database only.
fn key_value(text: &str) -> Result<PgUrl, PgUrlError> {
    let shown = redact(text);
    let config = driver_config(text, &shown, &[])?;
    let secrets = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok(PgUrl {
        config,
        schema: PgSchema::default(),
        shown,
        secrets: cleaned(secrets.into_iter().collect()),
    })
}

/// The driver's reading of `text`; its reason for refusing one, scrubbed of `secrets`.
fn driver_config(
    text: &str,
    shown: &str,
    secrets: &[String],
) -> Result<postgres::Config, PgUrlError> {
    text.parse()
        .map_err(|e: postgres::Error| PgUrlError::Invalid {
            shown: shown.to_owned(),
            reason: scrub(&cleaned(secrets.to_vec()), &super::describe(&e)),
        })
}

/// `text` with every occurrence of each of `secrets` (as [`cleaned`] orders them) replaced by
/// `***`.
fn scrub(secrets: &[String], text: &str) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |text, secret| text.replace(secret, "***"))
}

/// Non-empty secrets, longest first (so a password is scrubbed before a piece of it).
fn cleaned(mut secrets: Vec<String>) -> Vec<String> {
    secrets.retain(|s| !s.is_empty());
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    secrets
}

/// The scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`; at most 32 bytes
/// here) and what follows its `:`, if `text` starts with one.
fn scheme_of(text: &str) -> Option<(&str, &str)> {
    let (scheme, after) = text.split_once(':')?;
    let ok = (1..=32).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    ok.then_some((scheme, after))
}

/// A URL after its `scheme://`, split as the driver splits it: the credentials end at the
/// first `@`; the host at the next `/` or `?`; the query starts at the first `?` after it.
struct Parts<'a> {
    userinfo: Option<&'a str>,
    /// Host, port and path: everything between the credentials and the query.
    before_query: &'a str,
    query: Option<&'a str>,
    /// The credentials hold a `/` or `?`, or another `@` comes before the host ends: the
    /// driver and a reader (and libpq) would split the URL differently.
    ambiguous: bool,
}

impl<'a> Parts<'a> {
    fn of(rest: &'a str) -> Parts<'a> {
        let (userinfo, after, ambiguous) = match rest.find('@') {
            None => (None, rest, false),
            Some(at) => {
                let creds = &rest[..at];
                let after = &rest[at + 1..];
                let host = &after[..after.find(['/', '?']).unwrap_or(after.len())];
                let ambiguous = creds.contains(['/', '?']) || host.contains('@');
                (Some(creds), after, ambiguous)
            }
        };
        let host_end = after.find(['/', '?']).unwrap_or(after.len());
        let (before_query, query) = match after[host_end..].find('?') {
            Some(q) => (&after[..host_end + q], Some(&after[host_end + q + 1..])),
            None => (after, None),
        };
        Parts {
            userinfo,
            before_query,
            query,
            ambiguous,
        }
    }
}

/// The query's parameters as the driver reads them: a key runs to the next `=`, its value to
/// the next `&`. `None` as the value: a trailing key with no `=`.
fn params(query: &str) -> Vec<(&str, Option<&str>)> {
    let mut out = Vec::new();
    let mut rest = query;
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            out.push((rest, None));
            break;
        };
        let (value, after) = after.split_once('&').unwrap_or((after, ""));
        out.push((key, Some(value)));
        rest = after;
    }
    out
}

/// A parameter whose value is (or may be) a password: `password`, and any key naming one.
fn is_password(key: &str) -> bool {
    decode(key).to_ascii_lowercase().contains("password")
}

/// Percent-decoding, as the driver does it (invalid UTF-8 decoded lossily).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` as messages show it: a URL without its password — the userinfo's, split on the
/// last `@` before the host (when that `@` may sit in the query or a password holding `/` or
/// `?`, nothing after the scheme is shown),
/// and the value of every `password` parameter — and a `key=value` string as its host, port,
/// user and database only. A scheme other than PostgreSQL's is shown alone.
pub(super) fn redact(text: &str) -> String {
    let Some((scheme, after)) = scheme_of(text) else {
        return match text.parse::<postgres::Config>() {
            Ok(config) => key_value_shown(&config),
            Err(_) => "<connection string>".to_owned(),
        };
    };
    let Some(rest) = after.strip_prefix("//") else {
        return format!("{scheme}:…");
    };
    if scheme != "postgres" && scheme != "postgresql" {
        return format!("{scheme}://…");
    }
    // The userinfo ends at the last `@` before the host ends.
    let (userinfo, after) = match rest.find('@') {
        None => (None, rest),
        Some(first) => {
            let host_end = rest[first..]
                .find(['/', '?'])
                .map_or(rest.len(), |i| first + i);
            let last = rest[..host_end].rfind('@').unwrap_or(first);
            (Some(&rest[..last]), &rest[last + 1..])
        }
    };
    let mut shown = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        if userinfo.contains(['/', '?']) {
            // The `@` may sit in a password or in the query: where the host starts is a guess,
            // and what follows could be the rest of a password.
            shown.push_str("***");
            return shown;
        }
        let (user, password) = match userinfo.split_once(':') {
            Some((user, _)) => (user, true),
            None => (userinfo, false),
        };
        shown.push_str(user);
        if password {
            shown.push_str(":***");
        }
        shown.push('@');
    }
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let (path, query) = match after[host_end..].find('?') {
        Some(q) => (&after[..host_end + q], Some(&after[host_end + q + 1..])),
        None => (after, None),
    };
    shown.push_str(path);
    if let Some(query) = query {
        let shown_params: Vec<String> = params(query)
            .into_iter()
            .map(|(key, value)| match value {
                Some(_) if is_password(key) => format!("{key}=***"),
                Some(value) => format!("{key}={value}"),
                None if is_password(key) => "***".to_owned(),
                None => key.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&shown_params.join("&"));
    }
    shown
}

/// A `key=value` connection string as messages show it.
fn key_value_shown(config: &postgres::Config) -> String {
    let mut parts = Vec::new();
    for host in config.get_hosts() {
        match host {
            postgres::config::Host::Tcp(name) => parts.push(format!("host={name}")),
            postgres::config::Host::Unix(path) => {
                parts.push(format!("host={}", path.display()));
            }
        }
    }
    for port in config.get_ports() {
        parts.push(format!("port={port}"));
    }
    if let Some(user) = config.get_user() {
        parts.push(format!("user={user}"));
    }
    if let Some(db) = config.get_dbname() {
        parts.push(format!("dbname={db}"));
    }
    if config.get_password().is_some() {
        parts.push("password=***".to_owned());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{PgSchema, PgUrl, PgUrlError, redact};

    #[test]
    fn passwords_never_reach_messages() {
        for (url, shown) in [
            (
                "postgres://root:hunter2@127.0.0.1/test",
                "postgres://root:***@127.0.0.1/test",
            ),
            (
                "postgres://root@127.0.0.1/test",
                "postgres://root@127.0.0.1/test",
            ),
            // A password holding `@`: split on the last `@` before the host.
            ("postgres://u:p@ss@host/db", "postgres://u:***@host/db"),
            ("postgres://u:p@s@s@host:5/db", "postgres://u:***@host:5/db"),
            (
                "postgres://root@127.0.0.1:1/test?password=secret",
                "postgres://root@127.0.0.1:1/test?password=***",
            ),
            (
                "postgresql://root@h/db?sslmode=disable&password=secret&application_name=x",
                "postgresql://root@h/db?sslmode=disable&password=***&application_name=x",
            ),
            // A percent-encoded key is the driver's `password` too.
            (
                "postgres://h/db?pass%77ord=secret",
                "postgres://h/db?pass%77ord=***",
            ),
            // An `@` in the query, or a `/` in a password: nothing after the scheme is shown.
            ("postgres://h/db?password=se@cret", "postgres://***"),
            ("postgres://u:p/secret@h/db", "postgres://***"),
            (
                "postgres://u:pw@h/db?schema=audit",
                "postgres://u:***@h/db?schema=audit",
            ),
            ("mysql://u:secret@h/db", "mysql://…"),
            ("postgre:/u:secret@h/db", "postgre:…"),
            (
                "host=h user=u password=secret dbname=d",
                "host=h user=u dbname=d password=***",
            ),
        ] {
            let got = redact(url);
            assert_eq!(got, shown, "{url}");
            for secret in ["secret", "hunter2", "ss@", "cret"] {
                assert!(!got.contains(secret), "{url} shown as {got}");
            }
        }
    }

    #[test]
    fn the_schema_parameter_is_taken_out_and_checked() {
        let url: PgUrl = "postgres://root@127.0.0.1/test?schema=audit_2&sslmode=disable"
            .parse()
            .unwrap();
        assert_eq!(url.schema().as_str(), "audit_2");
        assert_eq!(url.config().get_dbname(), Some("test"));
        assert_eq!(url.config().get_user(), Some("root"));
        let url: PgUrl = "postgres://al:p%40ss@h:7/db?schema=s&password=x&sslmode=disable"
            .parse()
            .unwrap();
        let config = url.config();
        assert_eq!(config.get_user(), Some("al"));
        assert_eq!(
            config.get_password(),
            Some(&b"x"[..]),
            "the parameter wins, as in libpq"
        );
        assert_eq!(config.get_ports(), [7]);
        assert_eq!(config.get_dbname(), Some("db"));
        let url: PgUrl = "postgres://al:p%40ss@h/db".parse().unwrap();
        assert_eq!(url.config().get_password(), Some(&b"p@ss"[..]));
        let url: PgUrl = "postgres://root@127.0.0.1/test".parse().unwrap();
        assert_eq!(url.schema(), &PgSchema::default());
        assert_eq!(url.schema().as_str(), "public");
        for bad in ["", "1abc", "a-b", "a\"b", "sch ema", &"x".repeat(64), "é"] {
            let url = format!("postgres://root@127.0.0.1/test?schema={bad}");
            assert!(
                matches!(url.parse::<PgUrl>(), Err(PgUrlError::BadSchema { .. })),
                "{bad:?}"
            );
        }
        assert!(PgSchema::new(&"x".repeat(63)).is_ok());
        assert!(matches!(
            "postgres://h/db?schema=a&schema=b".parse::<PgUrl>(),
            Err(PgUrlError::SchemaTwice { .. })
        ));
    }

    #[test]
    fn unknown_schemes_are_named_and_never_echoed() {
        let e = "mysql://u:secret@h/db".parse::<PgUrl>().unwrap_err();
        assert_eq!(e, PgUrlError::UnknownScheme("mysql".into()));
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = "postgre://u:secret@h/db".parse::<PgUrl>().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown store scheme \"postgre\""),
            "{e}"
        );
        let e = "postgres:u:secret@h/db".parse::<PgUrl>().unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn urls_the_driver_would_read_differently_are_refused() {
        for url in [
            "postgres://u:p@ss@host/db",
            "postgres://u:p/ss@host/db",
            "postgres://h/db?password=se@cret",
        ] {
            let e = url.parse::<PgUrl>().unwrap_err();
            assert!(
                matches!(e, PgUrlError::AmbiguousUserinfo { .. }),
                "{url}: {e}"
            );
            assert!(!e.to_string().contains("ss@") && !e.to_string().contains("cret"));
        }
        // An `@` after the host is the query's business.
        assert!(
            "postgres://u@h/db?application_name=a@b"
                .parse::<PgUrl>()
                .is_ok()
        );
    }

    #[test]
    fn scrubbing_removes_every_form_of_the_password() {
        let url: PgUrl = "postgres://u:p%40ss@h/db?sslmode=disable".parse().unwrap();
        assert_eq!(url.scrub("no p@ss nor p%40ss here"), "no *** nor *** here");
        let url: PgUrl = "postgres://u@h/db?password=s%3Dcret".parse().unwrap();
        assert_eq!(url.scrub("s=cret s%3Dcret"), "*** ***");
    }
}
