//! Findings: what the checks say about a return, one value per problem, each pinned to a cell.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The figure or file cannot be used as sent.
    Error,
    /// Probably wrong; the unit should look.
    Warning,
    /// For the record: a value was read with a change, or a target was met.
    Info,
}

impl Severity {
    /// 错误 / 警告 / 提示.
    pub fn chinese(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

macro_rules! codes {
    ($($name:ident => $sev:ident, $en:literal, $zh:literal;)*) => {
        /// The stable English code of a finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        #[allow(missing_docs)]
        pub enum Code { $($name),* }

        impl Code {
            /// Every code, in the order of the README's table.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// The code's severity.
            pub fn severity(self) -> Severity {
                match self { $(Code::$name => Severity::$sev),* }
            }

            /// The stable English code, as in report.json.
            pub fn name(self) -> &'static str {
                match self { $(Code::$name => $en),* }
            }

            /// A short Chinese title for the code.
            pub fn title(self) -> &'static str {
                match self { $(Code::$name => $zh),* }
            }
        }
    };
}

codes! {
    UnreadableFile => Error, "UNREADABLE_FILE", "文件无法读取";
    EncryptedFile => Error, "ENCRYPTED_FILE", "文件已加密";
    NotAReturn => Error, "NOT_A_RETURN", "不是填报表";
    UnknownUnit => Error, "UNKNOWN_UNIT", "无法识别填报单位";
    FileTooLarge => Error, "FILE_TOO_LARGE", "文件过大";
    PeriodMismatch => Info, "PERIOD_MISMATCH", "报告期不是本期";
    DuplicateFile => Info, "DUPLICATE_FILE", "重复文件";
    Superseded => Info, "SUPERSEDED", "已被新报表替代";
    IdentityMismatch => Warning, "IDENTITY_MISMATCH", "单位或报告期信息不一致";
    PeriodAssumed => Warning, "PERIOD_ASSUMED", "未写明报告期";
    NotANumber => Error, "NOT_A_NUMBER", "不是数字";
    NegativeValue => Error, "NEGATIVE_VALUE", "数值为负";
    ValueNormalised => Info, "VALUE_NORMALISED", "数值已规范化";
    ApproximateValue => Warning, "APPROXIMATE_VALUE", "填写了约数";
    PercentScale => Warning, "PERCENT_SCALE", "百分比写法有误";
    UnitMismatch => Error, "UNIT_MISMATCH", "计量单位不符";
    TargetAltered => Warning, "TARGET_ALTERED", "年度目标被改动";
    UnknownIndicator => Warning, "UNKNOWN_INDICATOR", "指标不在计划内";
    MissingValue => Error, "MISSING_VALUE", "漏填";
    FormulaError => Error, "FORMULA_ERROR", "公式错误";
    MonthlyCumulativeMismatch => Error, "MONTHLY_CUMULATIVE_MISMATCH", "本月与累计不符";
    BehindSchedule => Warning, "BEHIND_SCHEDULE", "进度滞后";
    MilestoneOverdue => Error, "MILESTONE_OVERDUE", "节点目标逾期";
    ImplausibleValue => Warning, "IMPLAUSIBLE_VALUE", "数值异常";
    TargetMet => Info, "TARGET_MET", "已完成年度目标";
    CountySumMismatch => Error, "COUNTY_SUM_MISMATCH", "县区合计与全市数不符";
    CountySumIncomplete => Warning, "COUNTY_SUM_INCOMPLETE", "县区数不全，无法核对合计";
    CumulativeDecreased => Error, "CUMULATIVE_DECREASED", "累计数比上月减少";
    Spike => Warning, "SPIKE", "本月数异常突增";
    MissingReturn => Error, "MISSING_RETURN", "未报送";
    LateReturn => Warning, "LATE_RETURN", "逾期报送";
    FileUnavailable => Warning, "FILE_UNAVAILABLE", "文件无法打开";
    FileInProgress => Info, "FILE_IN_PROGRESS", "文件仍在写入";
    FutureTime => Info, "FUTURE_TIME", "文件时间晚于当前";
    HistoryMissing => Warning, "HISTORY_MISSING", "往月汇总结果缺失";
    IdentityConflict => Error, "IDENTITY_CONFLICT", "表中单位与模板所属单位不符";
    MatchedByText => Info, "MATCHED_BY_TEXT", "按指标名称对应";
    SheetChosen => Warning, "SHEET_CHOSEN", "多张表中选用了一张";
}

/// One problem, pinned to a unit, an indicator and a cell of the original file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable English code.
    pub code: Code,
    /// Error, warning or info.
    pub severity: Severity,
    /// Unit code (empty when the unit is unknown).
    pub unit: String,
    /// Indicator code (empty for file-level findings).
    pub indicator: String,
    /// The file's name as received.
    pub file: String,
    /// Sheet name (empty for file-level findings).
    pub sheet: String,
    /// A1-style cell in the original file (empty for file- or row-less findings).
    pub cell: String,
    /// What is wrong and what to do, in Chinese.
    pub message: String,
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub actual: String,
}

impl Finding {
    /// A finding of `code` with its default severity; the other fields are filled by the builder methods.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            unit: String::new(),
            indicator: String::new(),
            file: String::new(),
            sheet: String::new(),
            cell: String::new(),
            message: message.into(),
            expected: String::new(),
            actual: String::new(),
        }
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = unit.to_string();
        self
    }

    /// Sets the indicator.
    pub fn indicator(mut self, code: &str) -> Self {
        self.indicator = code.to_string();
        self
    }

    /// Sets file, sheet and cell.
    pub fn at(mut self, file: &str, sheet: &str, cell: &str) -> Self {
        self.file = file.to_string();
        self.sheet = sheet.to_string();
        self.cell = cell.to_string();
        self
    }

    /// Sets expected and actual.
    pub fn values(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = expected.into();
        self.actual = actual.into();
        self
    }

    /// Overrides the default severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// A1-style name of a 0-based (row, column).
pub fn a1(row: u32, col: u32) -> String {
    // Seven letters reach past u32::MAX columns (26^7 > 2^32).
    let mut letters = [0u8; 7];
    let mut start = letters.len();
    let mut c = u64::from(col) + 1;
    while c > 0 && start > 0 {
        start -= 1;
        letters[start] = b'A' + ((c - 1) % 26) as u8;
        c = (c - 1) / 26;
    }
    let mut name = String::with_capacity(letters.len() - start + 10);
    name.extend(letters[start..].iter().map(|&b| char::from(b)));
    let _ = write!(name, "{}", u64::from(row) + 1);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_names() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(9, 25), "Z10");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(1_048_575, 16_383), "XFD1048576");
        assert_eq!(a1(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }
}
