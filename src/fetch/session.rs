//! The IMAP conversation: log in, open the folder read-only (EXAMINE), list and download messages.
//!
//! Only EXAMINE, UID SEARCH and UID FETCH of `BODY.PEEK[]` are sent: nothing that deletes, moves or flags
//! mail, not even the \Seen flag a plain `BODY[]` would set.

use imap::{ClientBuilder, ConnectionMode, TlsKind};

use super::FetchError;
use crate::settings::{Imap, Security};

/// An open, read-only view of one folder.
pub struct Session {
    inner: imap::Session<imap::Connection>,
    host: String,
    /// The folder's UIDVALIDITY.
    pub uidvalidity: u32,
}

/// What the server says of a message before it is downloaded.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its UID.
    pub uid: u32,
    /// Its size in bytes.
    pub size: u64,
    /// When it arrived at the server.
    pub received: jiff::Timestamp,
    /// Its subject from the envelope, decoded.
    pub subject: String,
}

impl Session {
    /// Connects, logs in as `settings.user` and opens `settings.folder` with EXAMINE.
    pub fn open(settings: &Imap, password: &str) -> Result<Session, FetchError> {
        let connect = |e: imap::Error| FetchError::Connect {
            host: settings.host.clone(),
            port: settings.port,
            message: e.to_string(),
        };
        let mode = match settings.security {
            Security::None => ConnectionMode::Plaintext,
            Security::StartTls => ConnectionMode::StartTls,
            Security::Tls => ConnectionMode::Tls,
        };
        let client = ClientBuilder::new(settings.host.as_str(), settings.port)
            .mode(mode)
            .tls_kind(TlsKind::Rust)
            .connect()
            .map_err(connect)?;
        let mut inner =
            client
                .login(&settings.user, password)
                .map_err(|(e, _)| FetchError::Login {
                    host: settings.host.clone(),
                    user: settings.user.clone(),
                    message: e.to_string(),
                })?;
        let mailbox = inner
            .examine(&settings.folder)
            .map_err(|e| FetchError::Folder {
                folder: settings.folder.clone(),
                message: e.to_string(),
            })?;
        Ok(Session {
            inner,
            host: settings.host.clone(),
            uidvalidity: mailbox.uid_validity.unwrap_or(0),
        })
    }

    fn broke(&self) -> impl Fn(imap::Error) -> FetchError + '_ {
        move |e| FetchError::Protocol {
            host: self.host.clone(),
            message: e.to_string(),
        }
    }

    /// The messages in the folder that arrived on or after `since` (all of them without it) and that `wanted`
    /// keeps, in UID order.
    pub fn list(
        &mut self,
        since: Option<jiff::civil::Date>,
        wanted: impl Fn(u32) -> bool,
    ) -> Result<Vec<Listed>, FetchError> {
        let query = match since {
            Some(d) => format!("SINCE {}", d.strftime("%-d-%b-%Y")),
            None => "ALL".to_string(),
        };
        let uids = self.inner.uid_search(&query).map_err(self.broke())?;
        let mut uids: Vec<u32> = uids.into_iter().filter(|u| wanted(*u)).collect();
        uids.sort_unstable();
        let mut out = Vec::with_capacity(uids.len());
        // In batches, so that a folder of years of mail is not one enormous response.
        for chunk in uids.chunks(200) {
            let set = chunk
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let fetches = self
                .inner
                .uid_fetch(&set, "(UID RFC822.SIZE INTERNALDATE ENVELOPE)")
                .map_err(self.broke())?;
            for f in fetches.iter() {
                let (Some(uid), Some(date)) = (f.uid, f.internal_date()) else {
                    continue;
                };
                let Ok(received) = jiff::Timestamp::from_second(date.timestamp()) else {
                    continue;
                };
                let subject = f
                    .envelope()
                    .and_then(|e| e.subject.as_deref())
                    .map(super::message::decode_subject)
                    .unwrap_or_default();
                out.push(Listed {
                    uid,
                    size: u64::from(f.size.unwrap_or(0)),
                    received,
                    subject,
                });
            }
        }
        out.sort_by_key(|l| l.uid);
        Ok(out)
    }

    /// The whole raw message `uid`, without setting its \Seen flag.
    pub fn download(&mut self, uid: u32) -> Result<Option<Vec<u8>>, FetchError> {
        let fetches = self
            .inner
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .map_err(self.broke())?;
        Ok(fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(<[u8]>::to_vec))
    }

    /// Says goodbye; a server that has gone away meanwhile is no error.
    pub fn close(mut self) {
        let _ = self.inner.logout();
    }
}
