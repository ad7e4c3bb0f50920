//! One mail taken apart: who sent it, its subject, and each attachment with its name decoded.
//!
//! mail-parser decodes RFC 2047 and RFC 2231 names in UTF-8, GBK, GB2312 and GB18030. Some Chinese mail
//! clients write the name as raw GBK bytes with no encoding at all; those are read here as GB18030.

use std::sync::LazyLock;

use mail_parser::{MessageParser, MimeHeaders};
use regex::bytes::Regex;

/// A mail, taken apart.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// The sender's address (From), lower case.
    pub sender: String,
    /// The subject, decoded.
    pub subject: String,
    /// The Message-ID header.
    pub message_id: String,
    /// Every attachment, in the order the mail holds them.
    pub attachments: Vec<Attachment>,
}

/// One attached file.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its position in the mail: `1`, `2`, … and `2.1` for the first attachment of a forwarded mail in part 2.
    pub part: String,
    /// Its name, decoded; a made-up one when the mail gives none.
    pub name: String,
    /// Its bytes, transfer encoding undone.
    pub bytes: Vec<u8>,
    /// For an attachment of a forwarded mail, that mail's sender: the unit, where the outer sender is a
    /// colleague who forwarded it.
    pub forwarded_from: Option<String>,
}

/// Takes a raw message apart; `None` when it holds no mail at all.
pub fn parse(raw: &[u8]) -> Option<Mail> {
    let message = MessageParser::default().parse(raw)?;
    if message.headers().is_empty() {
        return None;
    }
    let mut mail = Mail {
        sender: sender(&message),
        subject: message.subject().unwrap_or_default().trim().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
        attachments: Vec::new(),
    };
    collect(&message, raw, "", &mut mail.attachments);
    Some(mail)
}

fn sender(message: &mail_parser::Message<'_>) -> String {
    message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .unwrap_or_default()
}

/// The decoded subject of a raw `Subject:` header value as an IMAP ENVELOPE gives it.
pub fn decode_subject(raw: &[u8]) -> String {
    let mut text = b"Subject: ".to_vec();
    text.extend_from_slice(raw);
    text.extend_from_slice(b"\r\n\r\n");
    MessageParser::default()
        .parse(&text)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(raw).into_owned())
}

/// How deep forwarded mails inside forwarded mails are opened; deeper ones are saved whole.
const MAX_DEPTH: usize = 4;

fn collect(
    message: &mail_parser::Message<'_>,
    raw: &[u8],
    prefix: &str,
    out: &mut Vec<Attachment>,
) {
    for (i, part) in message.attachments().enumerate() {
        let position = format!("{prefix}{}", i + 1);
        // A forwarded mail attached whole: its attachments are the returns.
        if let Some(inner) = part
            .message()
            .filter(|_| prefix.matches('.').count() < MAX_DEPTH)
        {
            let inner_raw = inner.raw_message();
            let before = out.len();
            collect(inner, inner_raw, &format!("{position}."), out);
            if out.len() > before {
                let from = sender(inner);
                for a in &mut out[before..] {
                    a.forwarded_from.get_or_insert_with(|| from.clone());
                }
                continue;
            }
        }
        // A picture shown inside the text (a signature's logo) is not something the unit sent in.
        let inline = part
            .content_disposition()
            .is_none_or(|d| d.ctype().eq_ignore_ascii_case("inline"));
        let image = part
            .content_type()
            .is_some_and(|t| t.ctype().eq_ignore_ascii_case("image"));
        if inline && image && part.content_id().is_some() {
            continue;
        }
        let header = raw
            .get(part.raw_header_offset() as usize..part.raw_body_offset() as usize)
            .unwrap_or_default();
        let name = raw_gbk_name(header)
            .or_else(|| joined_encoded_name(header))
            .or_else(|| continued_name(header))
            .or_else(|| part.attachment_name().map(str::to_string))
            .unwrap_or_else(|| unnamed(part, &position));
        out.push(Attachment {
            part: position,
            name,
            bytes: part.contents().to_vec(),
            forwarded_from: None,
        });
    }
}

static RAW_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)(?:^|[;\s])(?:file)?name\s*=\s*(?:"([^"\r\n]*)"|([^;\s"]+))"#).unwrap()
});

/// A name written as raw 8-bit GBK in the part's header (not RFC 2047 or 2231 encoded), decoded.
fn raw_gbk_name(header: &[u8]) -> Option<String> {
    if std::str::from_utf8(header).is_ok() {
        return None;
    }
    let found = RAW_NAME.captures_iter(header).find_map(|c| {
        let v = c.get(1).or_else(|| c.get(2))?.as_bytes();
        (!v.is_ascii()).then_some(v)
    })?;
    let (text, _, bad) = encoding_rs::GB18030.decode(found);
    (!bad).then(|| text.trim().to_string())
}

static QUOTED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)(?:^|[;\s])(?:file)?name\s*=\s*(?:"([^"]*)"|([^;"]+))"#).unwrap()
});
static ENCODED_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=").unwrap());

/// A name written as several RFC 2047 encoded words, decoded as one: Chinese clients cut long names into words
/// at byte boundaries, splitting a character between two words, which a word-by-word decoder garbles.
fn joined_encoded_name(header: &[u8]) -> Option<String> {
    let value = QUOTED_NAME.captures_iter(header).find_map(|c| {
        let v = c.get(1).or_else(|| c.get(2))?.as_bytes();
        (ENCODED_WORD.find_iter(v).count() > 1).then_some(v)
    })?;
    let mut text = String::new();
    let mut run: Option<(&'static encoding_rs::Encoding, Vec<u8>)> = None;
    let mut rest = value;
    while !rest.is_empty() {
        let Some(word) = ENCODED_WORD.captures(rest) else {
            break;
        };
        let whole = word.get(0)?;
        // Only white space may stand between the words of one name.
        let between = &rest[..whole.start()];
        if !between.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let label = word[1].split(|b| *b == b'*').next().unwrap_or_default();
        let encoding = encoding_rs::Encoding::for_label(label)?;
        let bytes = if word[2].eq_ignore_ascii_case(b"b") {
            mail_parser::decoders::base64::base64_decode(&word[3])?
        } else {
            let spaced: Vec<u8> = word[3]
                .iter()
                .map(|b| if *b == b'_' { b' ' } else { *b })
                .collect();
            mail_parser::decoders::quoted_printable::quoted_printable_decode(&spaced)?
        };
        match &mut run {
            Some((e, acc)) if *e == encoding => acc.extend_from_slice(&bytes),
            _ => {
                if let Some((e, acc)) = run.take() {
                    text.push_str(&e.decode_without_bom_handling(&acc).0);
                }
                run = Some((encoding, bytes));
            }
        }
        rest = &rest[whole.end()..];
    }
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let (e, acc) = run?;
    text.push_str(&e.decode_without_bom_handling(&acc).0);
    Some(text.trim().to_string())
}

static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)(?:^|[;\s])((?:file)?name)\*(\d{1,3})(\*?)\s*=\s*(?:"([^"]*)"|([^;\s"]+))"#)
        .unwrap()
});

/// A name in RFC 2231 continuations (`filename*0*=utf-8''…; filename*1*=…`), joined before it is decoded:
/// Outlook cuts long names at byte boundaries, splitting a character between two pieces.
fn continued_name(header: &[u8]) -> Option<String> {
    let mut pieces: Vec<(bool, u32, bool, &[u8])> = CONTINUATION
        .captures_iter(header)
        .filter_map(|c| {
            let file = c[1].len() > 4;
            let index = std::str::from_utf8(&c[2]).ok()?.parse().ok()?;
            let value = c.get(4).or_else(|| c.get(5))?.as_bytes();
            Some((file, index, !c[3].is_empty(), value))
        })
        .collect();
    // filename*N (Content-Disposition) before name*N (Content-Type).
    let file = pieces.iter().any(|p| p.0);
    pieces.retain(|p| p.0 == file);
    pieces.sort_by_key(|p| p.1);
    if pieces.len() < 2 || pieces[0].1 != 0 {
        return None;
    }
    let mut encoding = encoding_rs::UTF_8;
    let mut bytes = Vec::new();
    for (_, index, extended, value) in pieces {
        let mut value = value;
        if index == 0 && extended {
            // charset'language'text
            let mut parts = value.splitn(3, |b| *b == b'\'');
            let label = parts.next()?;
            let _language = parts.next()?;
            value = parts.next()?;
            encoding = encoding_rs::Encoding::for_label(label).unwrap_or(encoding_rs::UTF_8);
        }
        if extended {
            let mut i = 0;
            while i < value.len() {
                let hex = |b: u8| (b as char).to_digit(16);
                match (value[i], value.get(i + 1), value.get(i + 2)) {
                    (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                        bytes.push((hex(h)? * 16 + hex(l)?) as u8);
                        i += 3;
                    }
                    (b, _, _) => {
                        bytes.push(b);
                        i += 1;
                    }
                }
            }
        } else {
            bytes.extend_from_slice(value);
        }
    }
    let (text, _, bad) = encoding.decode(&bytes);
    (!bad).then(|| text.trim().to_string())
}

/// A name for an attachment the mail gives none: its position and the extension its type suggests.
fn unnamed(part: &mail_parser::MessagePart<'_>, position: &str) -> String {
    let ext = match part
        .content_type()
        .map(|t| t.subtype().unwrap_or_default().to_ascii_lowercase())
        .as_deref()
    {
        Some("vnd.openxmlformats-officedocument.spreadsheetml.sheet") => "xlsx",
        Some("vnd.ms-excel") => "xls",
        Some("vnd.oasis.opendocument.spreadsheet") => "ods",
        Some("zip" | "x-zip-compressed") => "zip",
        Some("rfc822") => "eml",
        _ => "bin",
    };
    format!("附件{position}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_gbk_names_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("陇西县10月报表.xlsx");
        let mut header = b"Content-Type: application/octet-stream;\r\n name=\"".to_vec();
        header.extend_from_slice(&gbk);
        header.extend_from_slice(b"\"\r\n");
        assert_eq!(
            raw_gbk_name(&header).as_deref(),
            Some("陇西县10月报表.xlsx")
        );
        assert_eq!(raw_gbk_name(b"Content-Type: x; name=\"a.xlsx\"\r\n"), None);
    }

    fn one_attachment(disposition: &str) -> String {
        let raw = format!(
            "From: a@b.c\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: application/vnd.ms-excel\r\n\
             Content-Disposition: attachment;\r\n {disposition}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n"
        );
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.attachments.len(), 1, "{disposition}");
        mail.attachments[0].name.clone()
    }

    #[test]
    fn long_names_split_across_encoded_words_and_continuations_are_joined() {
        let name = "定西市安定区2020年10月份创新助力拓存创增进展情况统计表（最终版）.xlsx";
        // Foxmail and Coremail: one GBK character cut between two encoded words.
        assert_eq!(
            one_attachment(
                "filename=\"=?GBK?B?tqjO98rQsLK2qMf4MjAyMMTqMTDUwrfdtLTQwtb6wQ==?=\r\n =?GBK?B?ps3YtOa0tNT2vfjVucfpv/bNs7zGse2jqNfu1tWw5qOpLnhsc3g=?=\""
            ),
            name
        );
        // Outlook: RFC 2231 continuations, one UTF-8 character cut between two of them.
        let pct: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
        let (a, b) = pct.split_at(7 * 3 + 1 - 1);
        assert_eq!(
            one_attachment(&format!("filename*0*=utf-8''{a};\r\n filename*1*={b}")),
            name
        );
    }

    #[test]
    fn a_forwarded_mail_gives_its_attachments_and_signature_logos_are_left_out() {
        let raw = "From: office@x.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
            --o\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n\
            --r\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo\">\r\n\
            --r\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-ID: <logo>\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--r--\r\n\
            --o\r\nContent-Type: message/rfc822\r\n\r\n\
            From: longxi@dingxi.example.org\r\nSubject: 10\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n\
            --i\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
            --i\r\nContent-Type: application/octet-stream\r\n\
            Content-Disposition: attachment; filename=\"longxi.xlsx\"\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--i--\r\n\
            --o--\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        let found: Vec<(&str, &str)> = mail
            .attachments
            .iter()
            .map(|a| (a.part.as_str(), a.name.as_str()))
            .collect();
        assert_eq!(found, [("2.1", "longxi.xlsx")]);
        assert_eq!(
            mail.attachments[0].forwarded_from.as_deref(),
            Some("longxi@dingxi.example.org")
        );
    }

    #[test]
    fn encoded_names_and_subjects_are_decoded() {
        let raw = "From: =?GBK?B?wsDO98/Y?= <LX@Dingxi.example.org>\r\n\
            Subject: =?GB2312?B?MTDUwrGose0=?=\r\n\
            Message-ID: <m1@x>\r\n\
            MIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
            --b\r\nContent-Type: application/octet-stream\r\n\
            Content-Disposition: attachment; filename*=gb18030''%C2%A4%CE%F7%CF%D8.xlsx\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n\
            --b--\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.sender, "lx@dingxi.example.org");
        assert_eq!(mail.subject, "10月报表");
        assert_eq!(mail.attachments.len(), 1);
        assert_eq!(mail.attachments[0].name, "陇西县.xlsx");
        assert_eq!(mail.attachments[0].bytes, [0, 1, 2]);
        assert_eq!(decode_subject(b"=?GBK?B?MTDUwrGose0=?="), "10月报表");
    }
}
