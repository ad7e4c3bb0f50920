//! The IMAP conversation: log in, open the folder read-only (EXAMINE), list and download messages.
//!
//! Only EXAMINE, UID SEARCH and UID FETCH of `BODY.PEEK[]` are sent: nothing that deletes, moves or flags
//! mail, not even the \Seen flag a plain `BODY[]` would set.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use imap::{Client, Connection};

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
        let client = connect(settings).map_err(|message| FetchError::Connect {
            host: settings.host.clone(),
            port: settings.port,
            message,
        })?;
        let mut inner =
            client
                .login(&settings.user, password)
                .map_err(|(e, _)| FetchError::Login {
                    host: settings.host.clone(),
                    user: settings.user.clone(),
                    message: e.to_string(),
                })?;
        let mailbox =
            inner
                .examine(folder_name(&settings.folder))
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

/// How long a connection may take, and a server may stay silent, before fetch gives up: a hung server must not
/// hold the workspace lock for ever.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Opens the connection (plain, TLS, or plain upgraded with STARTTLS) and reads the greeting. The socket is
/// made here rather than by the imap crate's builder so that it gets time limits.
fn connect(settings: &Imap) -> Result<Client<Connection>, String> {
    let host = settings.host.as_str();
    let addr = (host, settings.port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let tls = |tcp: TcpStream| -> Result<Connection, String> {
        let connector = rustls_connector::RustlsConnectorConfig::new_with_native_certs()
            .map_err(|e| format!("cannot load the trusted certificates: {e}"))?
            .connector_with_no_client_auth();
        let stream = connector.connect(host, tcp).map_err(|e| e.to_string())?;
        Ok(Box::new(stream))
    };
    let greet = |mut client: Client<Connection>| -> Result<Client<Connection>, String> {
        client.read_greeting().map_err(|e| e.to_string())?;
        Ok(client)
    };
    match settings.security {
        Security::None => greet(Client::new(Box::new(tcp))),
        Security::Tls => greet(Client::new(tls(tcp)?)),
        Security::StartTls => {
            starttls(&tcp)?;
            let mut client = Client::new(tls(tcp)?);
            client.greeting_read = true;
            Ok(client)
        }
    }
}

/// The plain-text part of a STARTTLS connection: the greeting, then the STARTTLS command and its answer, a line
/// at a time (nothing past the answer may be read: the TLS handshake follows on the same socket).
fn starttls(tcp: &TcpStream) -> Result<(), String> {
    use std::io::{Read, Write};
    let line = || -> Result<String, String> {
        let mut bytes = Vec::new();
        let mut byte = [0u8];
        while !bytes.ends_with(b"\r\n") {
            if bytes.len() > 64 * 1024 {
                return Err("the server sent an endless line".to_string());
            }
            match (&*tcp).read(&mut byte) {
                Ok(0) => return Err("the server closed the connection".to_string()),
                Ok(_) => bytes.push(byte[0]),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
    };
    let greeting = line()?;
    if !greeting.starts_with("* OK") {
        return Err(format!("unexpected greeting {greeting:?}"));
    }
    (&*tcp)
        .write_all(b"h1 STARTTLS\r\n")
        .map_err(|e| e.to_string())?;
    loop {
        let answer = line()?;
        if let Some(status) = answer.strip_prefix("h1 ") {
            return if status.to_ascii_uppercase().starts_with("OK") {
                Ok(())
            } else {
                Err(format!("the server refused STARTTLS: {status}"))
            };
        }
    }
}

/// A folder name as IMAP spells it: non-ASCII names in modified UTF-7 (RFC 3501 5.1.3), so that “报表” is
/// sent as `&YqWIaA-`. An ASCII name is sent as written, which also lets a name already so spelled through.
pub fn folder_name(name: &str) -> String {
    if name.is_ascii() {
        return name.to_string();
    }
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            pending.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_folder_names_are_spelled_in_modified_utf7() {
        assert_eq!(super::folder_name("报表"), "&YqWIaA-");
        assert_eq!(super::folder_name("收件箱/报表"), "&ZTZO9nux-/&YqWIaA-");
        assert_eq!(super::folder_name("A&B报表"), "A&-B&YqWIaA-");
        assert_eq!(super::folder_name("INBOX"), "INBOX");
        assert_eq!(super::folder_name("&YqWIaA-"), "&YqWIaA-");
    }
}
