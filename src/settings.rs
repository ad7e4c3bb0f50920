//! Settings: a raw serde struct that rejects unknown keys, then a checked value built once.

use std::path::Path;

use serde::Deserialize;

use crate::error::Error;

/// The settings file as written (`huizong.toml`); every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    deadline_day: Option<u32>,
    correction_day: Option<u32>,
    behind_tolerance: Option<f64>,
    about_tolerance: Option<f64>,
    sum_tolerance: Option<f64>,
    implausible_factor: Option<f64>,
    max_file_bytes: Option<u64>,
    max_unpacked_bytes: Option<u64>,
    max_rows: Option<u32>,
    max_cells: Option<u64>,
    lock_wait_seconds: Option<u64>,
    settle_seconds: Option<u64>,
    timezone: Option<String>,
    #[serde(default)]
    mail: RawMail,
    #[serde(default)]
    smtp: RawSmtp,
    #[serde(default)]
    imap: RawImap,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    leadership: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    user: Option<String>,
    from: Option<String>,
    ca_file: Option<std::path::PathBuf>,
    timeout_seconds: Option<u64>,
    total_timeout_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImap {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    user: Option<String>,
    folder: Option<String>,
    since: Option<String>,
    poll_minutes: Option<u64>,
}

/// How the SMTP or IMAP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text: only for a server on 127.0.0.1.
    None,
    /// STARTTLS upgrade on a plain connection (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl Security {
    fn parse(s: &str) -> Option<Security> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Security::None),
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }
}

/// SMTP delivery settings; the password only ever comes from `HUIZONG_SMTP_PASSWORD`.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// none, starttls or tls.
    pub security: Security,
    /// Login name; no login when empty.
    pub user: String,
    /// The sender address.
    pub from: String,
    /// An extra CA certificate (PEM) to trust, for a server with a private CA.
    pub ca_file: Option<std::path::PathBuf>,
    /// How long to wait for a connection and for each answer of the server.
    pub timeout: std::time::Duration,
    /// How long one `--send` may take in all; messages not tried by then wait for the next `--send`.
    pub total_timeout: std::time::Duration,
}

/// A login for the SMTP server; its Debug output hides the password.
#[derive(Clone)]
pub struct Login {
    /// Login name.
    pub user: String,
    /// Password, from `HUIZONG_SMTP_PASSWORD`.
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &"(hidden)")
            .finish()
    }
}

impl Smtp {
    /// `host:port`, as messages name the server.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The login to send with, given `HUIZONG_SMTP_PASSWORD`; checked before any connection is made.
    ///
    /// A login over a plain connection is refused unless the server is on this machine, and a login name
    /// without a password is refused rather than tried with an empty one.
    pub fn login(&self, password: Option<String>) -> Result<Option<Login>, String> {
        if self.user.is_empty() {
            return Ok(None);
        }
        if self.security == Security::None && !is_loopback(&self.host) {
            return Err(format!(
                "smtp.user = {:?} with smtp.security = \"none\" would send the password in clear to {}; \
                 set smtp.security to \"starttls\" or \"tls\" (a plain login is only allowed to a server on \
                 127.0.0.1 or localhost)",
                self.user,
                self.address()
            ));
        }
        match password.filter(|p| !p.is_empty()) {
            Some(password) => Ok(Some(Login {
                user: self.user.clone(),
                password,
            })),
            None => Err(format!(
                "smtp.user = {:?} is set but HUIZONG_SMTP_PASSWORD is empty or not set; set the password in \
                 that environment variable, or remove smtp.user to send without logging in",
                self.user
            )),
        }
    }
}

/// Whether `host` names this machine: `localhost` or a loopback address (127.0.0.0/8, ::1).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The office mailbox `huizong fetch` reads; the password only ever comes from `HUIZONG_IMAP_PASSWORD`.
#[derive(Debug, Clone)]
pub struct Imap {
    /// Server host name; fetch is not set up while it is empty.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// none (loopback only), starttls or tls.
    pub security: Security,
    /// Login name.
    pub user: String,
    /// The folder read (EXAMINE, never changed).
    pub folder: String,
    /// Messages that arrived before this day are not read.
    pub since: Option<jiff::civil::Date>,
    /// How often `watch --fetch` looks at the mailbox.
    pub poll: std::time::Duration,
}

/// Checked settings with every default filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Day of the following month by which a return is due.
    pub deadline_day: u32,
    /// Day of the following month by which a corrected return is due.
    pub correction_day: u32,
    /// How far (as a share of the annual target) cumulative progress may trail the pro-rata line.
    pub behind_tolerance: f64,
    /// How far a 左右 target may be missed either side, as a share of the target.
    pub about_tolerance: f64,
    /// Absolute difference under which county sums and cumulative checks count as equal.
    pub sum_tolerance: f64,
    /// A figure this many times the annual target is implausible.
    pub implausible_factor: f64,
    /// Largest input file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest total unpacked size of a zip-based workbook, in bytes.
    pub max_unpacked_bytes: u64,
    /// Last row read from a sheet; anything below is ignored.
    pub max_rows: u32,
    /// Most cells read from one file.
    pub max_cells: u64,
    /// How long a run waits for another run or `watch` to release the workspace.
    pub lock_wait: std::time::Duration,
    /// `run` leaves in the inbox files modified less than this long ago (they may still be being written).
    pub settle: std::time::Duration,
    /// The plan's time zone: every time a person reads is written in it, and deadline days are counted in it.
    pub timezone: jiff::tz::Offset,
    /// Who receives the consolidated workbook.
    pub leadership: Vec<String>,
    /// How mail is delivered.
    pub smtp: Smtp,
    /// The mailbox returns are fetched from.
    pub imap: Imap,
}

fn imap(raw: RawImap, d: Imap) -> Result<Imap, String> {
    let security = match raw.security {
        None => d.security,
        Some(s) => Security::parse(&s)
            .ok_or_else(|| format!("imap.security = {s:?} must be none, starttls or tls"))?,
    };
    let host = raw.host.unwrap_or(d.host);
    // A password sent in the clear may only travel inside this machine.
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if security == Security::None && !host.is_empty() && !loopback {
        return Err(format!(
            "imap.security = \"none\" sends the password in the clear and is allowed only for a server on this machine (127.0.0.1), not {host:?}; use \"tls\" (port 993) or \"starttls\" (port 143)"
        ));
    }
    let since = match raw.since {
        None => d.since,
        Some(s) => Some(s.parse::<jiff::civil::Date>().map_err(|_| {
            format!("imap.since = {s:?} is not a date; write it as YYYY-MM-DD, e.g. 2020-11-01")
        })?),
    };
    let poll_minutes = raw.poll_minutes.unwrap_or(d.poll.as_secs() / 60);
    if poll_minutes == 0 {
        return Err("imap.poll_minutes must be at least 1".to_string());
    }
    Ok(Imap {
        host,
        port: raw.port.unwrap_or(match security {
            Security::None | Security::StartTls => 143,
            Security::Tls => 993,
        }),
        security,
        user: raw.user.unwrap_or(d.user),
        folder: raw.folder.unwrap_or(d.folder),
        since,
        poll: std::time::Duration::from_secs(poll_minutes * 60),
    })
}

fn smtp(raw: RawSmtp, d: Smtp) -> Result<Smtp, Invalid> {
    let security = match raw.security {
        None => d.security,
        Some(s) => Security::parse(&s).ok_or_else(|| {
            invalid(
                "smtp.security",
                format!("smtp.security = {s:?} must be none, starttls or tls"),
            )
        })?,
    };
    let from = raw.from.unwrap_or(d.from);
    if !from.contains('@') {
        return Err(invalid(
            "smtp.from",
            format!("smtp.from = {from:?} is not an e-mail address"),
        ));
    }
    let timeout = raw.timeout_seconds.unwrap_or(d.timeout.as_secs());
    if !(1..=3600).contains(&timeout) {
        return Err(invalid(
            "smtp.timeout_seconds",
            format!("smtp.timeout_seconds = {timeout} must be from 1 to 3600 seconds"),
        ));
    }
    let total = raw
        .total_timeout_seconds
        .unwrap_or(d.total_timeout.as_secs());
    if total < timeout {
        return Err(invalid(
            "smtp.total_timeout_seconds",
            format!(
                "smtp.total_timeout_seconds = {total} must be at least smtp.timeout_seconds = {timeout}"
            ),
        ));
    }
    Ok(Smtp {
        host: raw.host.unwrap_or(d.host),
        port: raw.port.unwrap_or(match security {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }),
        security,
        user: raw.user.unwrap_or(d.user),
        from,
        ca_file: raw.ca_file.or(d.ca_file),
        timeout: std::time::Duration::from_secs(timeout),
        total_timeout: std::time::Duration::from_secs(total),
    })
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            deadline_day: 5,
            correction_day: 10,
            behind_tolerance: 0.05,
            about_tolerance: 0.05,
            sum_tolerance: 0.005,
            implausible_factor: 5.0,
            max_file_bytes: 20 * 1024 * 1024,
            max_unpacked_bytes: 100 * 1024 * 1024,
            max_rows: 2_000,
            max_cells: 100_000,
            lock_wait: std::time::Duration::from_secs(30),
            settle: std::time::Duration::ZERO,
            timezone: crate::display::DEFAULT_TIMEZONE,
            leadership: vec!["leadership@dingxi.example.org".to_string()],
            smtp: Smtp {
                host: "127.0.0.1".to_string(),
                port: 25,
                security: Security::None,
                user: String::new(),
                from: "huizong@dingxi.example.org".to_string(),
                ca_file: None,
                timeout: std::time::Duration::from_secs(30),
                total_timeout: std::time::Duration::from_secs(600),
            },
            imap: Imap {
                host: String::new(),
                port: 993,
                security: Security::Tls,
                user: String::new(),
                folder: "INBOX".to_string(),
                since: None,
                poll: std::time::Duration::from_secs(5 * 60),
            },
        }
    }
}

/// The environment variables that override the `[smtp]` settings, with the key each sets.
const SMTP_ENV: [(&str, &str); 5] = [
    ("HUIZONG_SMTP_HOST", "smtp.host"),
    ("HUIZONG_SMTP_PORT", "smtp.port"),
    ("HUIZONG_SMTP_SECURITY", "smtp.security"),
    ("HUIZONG_SMTP_USER", "smtp.user"),
    ("HUIZONG_SMTP_FROM", "smtp.from"),
];

/// A setting found wrong: the key it concerns and what is wrong with it.
struct Invalid {
    key: &'static str,
    message: String,
}

fn invalid(key: &'static str, message: String) -> Invalid {
    Invalid { key, message }
}

impl Settings {
    /// The end of the deadline day for `period`'s returns: `deadline_day` of the following month, 24:00 in the
    /// plan's time zone.
    pub fn deadline(&self, period: crate::period::Period) -> jiff::Timestamp {
        let next = period.next();
        let day = jiff::civil::date(next.year as i16, next.month as i8, self.deadline_day as i8);
        day.tomorrow()
            .and_then(|d| {
                d.to_datetime(jiff::civil::Time::midnight())
                    .to_zoned_datetime(jiff::tz::TimeZone::fixed(self.timezone))
            })
            .map(|z| z.timestamp())
            .unwrap_or(jiff::Timestamp::MAX)
    }
}

impl Settings {
    /// Loads `path` if it exists (else the defaults), then the `HUIZONG_SMTP_*` environment over either.
    pub fn load(path: &Path) -> Result<Settings, Error> {
        let raw: RawSettings = if path.exists() {
            let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
            toml::from_str(&text).map_err(|e| Error::Settings {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        } else {
            RawSettings::default()
        };
        let mut raw = raw;
        let mut from_env: Vec<(&'static str, &'static str)> = Vec::new();
        for (variable, key) in SMTP_ENV {
            let Some(v) = std::env::var(variable).ok().filter(|v| !v.is_empty()) else {
                continue;
            };
            from_env.push((key, variable));
            match key {
                "smtp.port" => {
                    raw.smtp.port = Some(v.parse().map_err(|_| Error::Environment {
                        variable: variable.to_string(),
                        message: format!("{v:?} is not a port number (1 to 65535)"),
                    })?);
                }
                "smtp.host" => raw.smtp.host = Some(v),
                "smtp.security" => raw.smtp.security = Some(v),
                "smtp.user" => raw.smtp.user = Some(v),
                _ => raw.smtp.from = Some(v),
            }
        }
        Settings::from_raw(raw).map_err(|e| match from_env.iter().find(|(key, _)| *key == e.key) {
            Some((_, variable)) => Error::Environment {
                variable: variable.to_string(),
                message: e.message,
            },
            None => Error::Settings {
                path: path.to_path_buf(),
                message: e.message,
            },
        })
    }

    fn from_raw(raw: RawSettings) -> Result<Settings, Invalid> {
        let d = Settings::default();
        let timezone = match &raw.timezone {
            None => d.timezone,
            Some(t) => crate::display::parse_offset(t).ok_or_else(|| {
                invalid(
                    "timezone",
                    format!("timezone = {t:?} must be an offset from UTC such as \"+08:00\""),
                )
            })?,
        };
        let s = Settings {
            deadline_day: raw.deadline_day.unwrap_or(d.deadline_day),
            correction_day: raw.correction_day.unwrap_or(d.correction_day),
            behind_tolerance: raw.behind_tolerance.unwrap_or(d.behind_tolerance),
            about_tolerance: raw.about_tolerance.unwrap_or(d.about_tolerance),
            sum_tolerance: raw.sum_tolerance.unwrap_or(d.sum_tolerance),
            implausible_factor: raw.implausible_factor.unwrap_or(d.implausible_factor),
            max_file_bytes: raw.max_file_bytes.unwrap_or(d.max_file_bytes),
            max_unpacked_bytes: raw.max_unpacked_bytes.unwrap_or(d.max_unpacked_bytes),
            max_rows: raw.max_rows.unwrap_or(d.max_rows),
            max_cells: raw.max_cells.unwrap_or(d.max_cells),
            lock_wait: raw
                .lock_wait_seconds
                .map_or(d.lock_wait, std::time::Duration::from_secs),
            settle: raw
                .settle_seconds
                .map_or(d.settle, std::time::Duration::from_secs),
            timezone,
            leadership: raw.mail.leadership.unwrap_or(d.leadership),
            smtp: smtp(raw.smtp, d.smtp)?,
            imap: imap(raw.imap, d.imap).map_err(|m| invalid("imap", m))?,
        };
        if !(1..=28).contains(&s.deadline_day) {
            return Err(invalid(
                "deadline_day",
                format!(
                    "deadline_day = {} must be a day from 1 to 28",
                    s.deadline_day
                ),
            ));
        }
        for (key, v) in [
            ("behind_tolerance", s.behind_tolerance),
            ("about_tolerance", s.about_tolerance),
        ] {
            if !(0.0..1.0).contains(&v) {
                return Err(invalid(
                    key,
                    format!("{key} = {v} must be a share from 0 to 1, e.g. 0.05"),
                ));
            }
        }
        if s.implausible_factor <= 1.0 {
            return Err(invalid(
                "implausible_factor",
                format!(
                    "implausible_factor = {} must be above 1",
                    s.implausible_factor
                ),
            ));
        }
        if s.max_rows == 0 || s.max_cells == 0 || s.max_file_bytes == 0 {
            return Err(invalid(
                "max_rows",
                "max_rows, max_cells and max_file_bytes must be above 0".to_string(),
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(toml: &str) -> Result<Smtp, String> {
        let raw: RawSettings = toml::from_str(toml).map_err(|e| e.to_string())?;
        super::smtp(raw.smtp, Settings::default().smtp).map_err(|e| e.message)
    }

    #[test]
    fn timeouts_default_to_30_seconds_each_and_10_minutes_in_all() {
        let s = smtp("").unwrap();
        assert_eq!(s.timeout, std::time::Duration::from_secs(30));
        assert_eq!(s.total_timeout, std::time::Duration::from_secs(600));
        assert_eq!(
            smtp("[smtp]\ntimeout_seconds = 0").unwrap_err(),
            "smtp.timeout_seconds = 0 must be from 1 to 3600 seconds"
        );
        assert_eq!(
            smtp("[smtp]\ntimeout_seconds = 60\ntotal_timeout_seconds = 30").unwrap_err(),
            "smtp.total_timeout_seconds = 30 must be at least smtp.timeout_seconds = 60"
        );
    }

    #[test]
    fn a_login_needs_a_password_and_plain_text_only_to_this_machine() {
        let plain_remote = smtp(
            "[smtp]\nhost = \"smtp.dingxi.example.org\"\nsecurity = \"none\"\nuser = \"clerk\"",
        )
        .unwrap();
        assert_eq!(
            plain_remote.login(Some("s3cret".into())).unwrap_err(),
            "smtp.user = \"clerk\" with smtp.security = \"none\" would send the password in clear to \
             smtp.dingxi.example.org:25; set smtp.security to \"starttls\" or \"tls\" (a plain login is only \
             allowed to a server on 127.0.0.1 or localhost)"
        );
        let tls = smtp(
            "[smtp]\nhost = \"smtp.dingxi.example.org\"\nsecurity = \"tls\"\nuser = \"clerk\"",
        )
        .unwrap();
        for missing in [None, Some(String::new())] {
            assert_eq!(
                tls.login(missing).unwrap_err(),
                "smtp.user = \"clerk\" is set but HUIZONG_SMTP_PASSWORD is empty or not set; set the password \
                 in that environment variable, or remove smtp.user to send without logging in"
            );
        }
        let login = tls.login(Some("s3cret".into())).unwrap().unwrap();
        assert_eq!(
            (login.user.as_str(), login.password.as_str()),
            ("clerk", "s3cret")
        );
        assert!(!format!("{login:?}").contains("s3cret"));
        for host in ["127.0.0.1", "127.8.0.2", "localhost", "::1", "[::1]"] {
            let s = Smtp {
                host: host.to_string(),
                ..plain_remote.clone()
            };
            assert!(s.login(Some("s3cret".into())).is_ok(), "{host}");
        }
        // No login: nothing to leak, so plain text to any server is the operator's choice.
        let anonymous = Smtp {
            user: String::new(),
            ..plain_remote
        };
        assert!(anonymous.login(None).unwrap().is_none());
    }
}
