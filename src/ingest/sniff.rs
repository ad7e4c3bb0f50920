//! Picking a file's format from its bytes, and refusing hostile packages before calamine sees them.
//!
//! calamine sets no limits of its own: a sharedStrings part that declares four billion entries, or a zip entry
//! that unpacks to hundreds of megabytes, aborts the whole process. Everything that would is caught here.

use std::io::{Cursor, Read};
use std::sync::LazyLock;

use regex::Regex;

use crate::settings::Settings;

/// The spreadsheet formats huizong reads; chosen in this one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Office Open XML workbook.
    Xlsx,
    /// Office Open XML workbook with macros.
    Xlsm,
    /// Excel binary workbook.
    Xlsb,
    /// Excel 97-2003 (BIFF8 in a compound file).
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
}

impl Format {
    /// The lower-case name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }

    /// The format named `name`, as [`Format::name`] writes it.
    pub fn from_name(name: &str) -> Option<Format> {
        [
            Format::Xlsx,
            Format::Xlsm,
            Format::Xlsb,
            Format::Xls,
            Format::Ods,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }
}

/// Why a file is refused before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a spreadsheet huizong can read, or damaged.
    Unreadable(String),
    /// Password-protected.
    Encrypted,
    /// Over a configured size cap.
    TooLarge(String),
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// How far an entry may expand before it looks like a bomb rather than XML (real sheets compress 5-20×).
const MAX_RATIO: u64 = 200;
/// Entries smaller than this are never ratio-checked: tiny XML parts compress absurdly well.
const RATIO_FLOOR: u64 = 4 * 1024 * 1024;

/// Detects the format from the bytes and checks a zip package's declared sizes and string count.
pub fn sniff(bytes: &[u8], settings: &Settings) -> Result<Format, Refusal> {
    if bytes.len() as u64 > settings.max_file_bytes {
        return Err(Refusal::TooLarge(format!(
            "文件大小{}字节，超过上限{}字节",
            bytes.len(),
            settings.max_file_bytes
        )));
    }
    if bytes.starts_with(CFB_MAGIC) {
        return sniff_cfb(bytes);
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return sniff_zip(bytes, settings);
    }
    if bytes.len() >= 4 && bytes[0] == 0x09 && matches!(bytes[1], 0x00 | 0x02 | 0x04) {
        return Err(Refusal::Unreadable(
            "这是早期Excel（2.x-4.x）格式的文件，无法读取；请用Excel或WPS另存为.xlsx后重新报送"
                .to_string(),
        ));
    }
    Err(Refusal::Unreadable(
        "文件不是Excel或ODS电子表格（可能已损坏、不完整，或是其他类型的文件）".to_string(),
    ))
}

fn sniff_cfb(bytes: &[u8]) -> Result<Format, Refusal> {
    // An encrypted OOXML package is a compound file with these streams; calamine reports it only as an odd error.
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if has(&utf16("EncryptedPackage")) || has(&utf16("EncryptionInfo")) {
        return Err(Refusal::Encrypted);
    }
    Ok(Format::Xls)
}

fn sniff_zip(bytes: &[u8], settings: &Settings) -> Result<Format, Refusal> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Refusal::Unreadable(format!(
            "压缩包结构损坏（{e}），文件可能不完整；请重新保存后报送"
        ))
    })?;
    let names = check_zip_entries(&mut zip, settings)?;
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let format = if has("xl/workbook.bin") {
        Format::Xlsb
    } else if has("xl/workbook.xml") {
        if has("xl/vbaProject.bin") {
            Format::Xlsm
        } else {
            Format::Xlsx
        }
    } else if has("content.xml") && is_ods_mimetype(&mut zip) {
        Format::Ods
    } else if has("EncryptedPackage") {
        return Err(Refusal::Encrypted);
    } else {
        return Err(Refusal::Unreadable(
            "压缩包中没有工作簿（可能是Word、其他文档或普通压缩文件）；请报送Excel填报表"
                .to_string(),
        ));
    };
    if let Some(name) = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("xl/sharedStrings.xml"))
    {
        check_shared_strings(&mut zip, name, settings)?;
    }
    Ok(format)
}

/// Most entries a zip package may hold: a workbook has a few dozen, a zip of returns a handful.
const MAX_ENTRIES: usize = 2_000;

/// Checks a zip package's entry count and each entry's declared size and ratio against the limits, before
/// anything is unpacked; returns the entries' names, by index. `huizong fetch` unpacks zip attachments under
/// the same guards.
pub fn check_zip_entries(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    settings: &Settings,
) -> Result<Vec<String>, Refusal> {
    if zip.len() > MAX_ENTRIES {
        return Err(Refusal::TooLarge(format!(
            "压缩包内有{}个条目，超过上限{MAX_ENTRIES}个",
            zip.len()
        )));
    }
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| Refusal::Unreadable(format!("压缩包条目损坏（{e}）")))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let size = entry.size();
        total = total.saturating_add(size);
        if size > RATIO_FLOOR && size / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(Refusal::TooLarge(format!(
                "文件内部条目“{}”解压后{}字节，压缩比异常（疑似压缩炸弹）",
                name, size
            )));
        }
        names.push(name);
    }
    if total > settings.max_unpacked_bytes {
        return Err(Refusal::TooLarge(format!(
            "文件解压后共{}字节，超过上限{}字节",
            total, settings.max_unpacked_bytes
        )));
    }
    Ok(names)
}

fn is_ods_mimetype(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> bool {
    let Ok(entry) = zip.by_name("mimetype") else {
        // Some writers omit the mimetype entry; content.xml alone is still an OpenDocument file.
        return true;
    };
    let mut head = String::new();
    let _ = entry.take(128).read_to_string(&mut head);
    head.contains("spreadsheet")
}

/// How much of sharedStrings.xml is read to find its `<sst>` tag; a real one has it in the first few hundred bytes.
const SST_HEAD: u64 = 64 * 1024;

static SST_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(?:[A-Za-z_][\w.-]*:)?sst\b([^>]*)>").unwrap());
static COUNT_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:uniqueCount|count)\s*=\s*["']\s*([^"']*)["']"#).unwrap()
});
static COMMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<!--.*?-->").unwrap());

/// Finds the `<sst>` tag of sharedStrings.xml (past any comments) and refuses a declared count that calamine would
/// try to reserve.
fn check_shared_strings(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    settings: &Settings,
) -> Result<(), Refusal> {
    let entry = zip
        .by_name(name)
        .map_err(|e| Refusal::Unreadable(format!("共享字符串表损坏（{e}）")))?;
    let mut head = Vec::new();
    entry
        .take(SST_HEAD)
        .read_to_end(&mut head)
        .map_err(|e| Refusal::Unreadable(format!("共享字符串表无法解压（{e}）")))?;
    let head = String::from_utf8_lossy(&head);
    let head = COMMENT.replace_all(&head, "");
    let Some(tag) = SST_TAG.captures(&head) else {
        return Err(Refusal::Unreadable(
            "共享字符串表的开头不是正常的表头，文件可能被篡改或已损坏；请用Excel或WPS另存后报送"
                .to_string(),
        ));
    };
    let cap = settings.max_cells.saturating_mul(10);
    for attr in COUNT_ATTR.captures_iter(&tag[1]) {
        let declared: u64 = attr[1].trim().parse().unwrap_or(u64::MAX);
        if declared > cap {
            return Err(Refusal::TooLarge(format!(
                "共享字符串表声明{}个条目，远超一份填报表的规模（上限{cap}）",
                attr[1].trim()
            )));
        }
    }
    Ok(())
}
