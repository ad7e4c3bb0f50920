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

fn smtp(raw: RawSmtp, d: Smtp) -> Result<Smtp, String> {
    let security = match raw.security {
        None => d.security,
        Some(s) => Security::parse(&s)
            .ok_or_else(|| format!("smtp.security = {s:?} must be none, starttls or tls"))?,
    };
    let from = raw.from.unwrap_or(d.from);
    if !from.contains('@') {
        return Err(format!("smtp.from = {from:?} is not an e-mail address"));
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
            leadership: vec!["leadership@dingxi.example.org".to_string()],
            smtp: Smtp {
                host: "127.0.0.1".to_string(),
                port: 25,
                security: Security::None,
                user: String::new(),
                from: "huizong@dingxi.example.org".to_string(),
                ca_file: None,
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

impl Settings {
    /// Loads `path` if it exists, else the defaults.
    pub fn load(path: &Path) -> Result<Settings, Error> {
        if !path.exists() {
            return Ok(Settings::default());
        }
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let raw: RawSettings = toml::from_str(&text).map_err(|e| Error::Settings {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Settings::from_raw(raw).map_err(|message| Error::Settings {
            path: path.to_path_buf(),
            message,
        })
    }

    fn from_raw(raw: RawSettings) -> Result<Settings, String> {
        let mut raw = raw;
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        // The environment overrides the file for every SMTP setting.
        if let Some(v) = env("HUIZONG_SMTP_HOST") {
            raw.smtp.host = Some(v);
        }
        if let Some(v) = env("HUIZONG_SMTP_PORT") {
            raw.smtp.port = Some(
                v.parse()
                    .map_err(|_| format!("HUIZONG_SMTP_PORT = {v:?} is not a port number"))?,
            );
        }
        if let Some(v) = env("HUIZONG_SMTP_SECURITY") {
            raw.smtp.security = Some(v);
        }
        if let Some(v) = env("HUIZONG_SMTP_USER") {
            raw.smtp.user = Some(v);
        }
        if let Some(v) = env("HUIZONG_SMTP_FROM") {
            raw.smtp.from = Some(v);
        }
        let d = Settings::default();
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
            leadership: raw.mail.leadership.unwrap_or(d.leadership),
            smtp: smtp(raw.smtp, d.smtp)?,
            imap: imap(raw.imap, d.imap)?,
        };
        if !(1..=28).contains(&s.deadline_day) {
            return Err(format!(
                "deadline_day = {} must be a day from 1 to 28",
                s.deadline_day
            ));
        }
        for (key, v) in [
            ("behind_tolerance", s.behind_tolerance),
            ("about_tolerance", s.about_tolerance),
        ] {
            if !(0.0..1.0).contains(&v) {
                return Err(format!(
                    "{key} = {v} must be a share from 0 to 1, e.g. 0.05"
                ));
            }
        }
        if s.implausible_factor <= 1.0 {
            return Err(format!(
                "implausible_factor = {} must be above 1",
                s.implausible_factor
            ));
        }
        if s.max_rows == 0 || s.max_cells == 0 || s.max_file_bytes == 0 {
            return Err("max_rows, max_cells and max_file_bytes must be above 0".to_string());
        }
        Ok(s)
    }
}
