//! Units as the notice names them: one entry per body however it is written, codes from pinyin initials,
//! group phrases (各县区人民政府, 各区、县级市) kept as one group for the office to list its members.
//!
//! Nothing here knows any city: the only table is of generic bureau names (发展改革委 ~ 发改委), so
//! 市发展改革委 and 市发改委 in one notice are one unit. The issuing city's own name is learnt from the issuer.

use std::sync::LazyLock;

use pinyin::ToPinyin;
use regex::Regex;

use super::text::re;
use crate::normalise::fold_text;
use crate::plan::model::{Unit, UnitKind};

/// Generic bureau names: (code, every way of writing the bureau without its city or level prefix).
#[rustfmt::skip]
const BUREAUS: &[(&str, &[&str])] = &[
    ("fgw", &["发展改革委", "发改委", "发展和改革委员会", "发展和改革委", "发展改革局", "发改局", "发展和改革局"]),
    ("gxj", &["工信局", "工业和信息化局", "工业和信息化委员会", "经济和信息化局", "经信局", "工业信息化局"]),
    ("kjj", &["科技局", "科学技术局"]),
    ("jyj", &["教育局"]),
    ("czj", &["财政局"]),
    ("rsj", &["人社局", "人力资源和社会保障局", "人力资源社会保障局"]),
    ("zrzyj", &["自然资源局", "自然资源和规划局", "自然资源规划局"]),
    ("sthjj", &["生态环境局", "环保局", "环境保护局"]),
    ("zjj", &["住建局", "住房和城乡建设局", "住房城乡建设局"]),
    ("jtj", &["交通运输局", "交通局"]),
    ("nyncj", &["农业农村局", "农业局"]),
    ("swuj", &["商务局"]),
    ("wlj", &["文旅局", "文化和旅游局", "文化旅游局", "文化广电和旅游局", "文广旅局"]),
    ("wjw", &["卫生健康委", "卫健委", "卫生健康委员会", "卫生和健康委员会", "卫生健康局", "卫健局"]),
    ("scjgj", &["市场监管局", "市场监督管理局"]),
    ("tjj", &["统计局"]),
    ("swj", &["税务局"]),
    ("yjj", &["应急管理局", "应急局"]),
    ("slj", &["水务局", "水利局"]),
    ("mzj", &["民政局"]),
    ("gaj", &["公安局"]),
    ("sfj", &["司法局"]),
    ("sjj", &["审计局"]),
    ("lcj", &["林业和草原局", "林草局"]),
    ("ybj", &["医疗保障局", "医保局"]),
    ("tyjrj", &["退役军人事务局", "退役军人局"]),
    ("zgj", &["政务服务管理局", "政管局", "政务服务局", "政务服务和数据管理局"]),
    ("dsjj", &["大数据管理局", "大数据局", "数据局", "数据资源管理局"]),
    ("gzw", &["国资委", "国有资产监督管理委员会"]),
    ("jrb", &["金融办", "金融工作办公室", "地方金融监督管理局", "地方金融监管局", "金融局"]),
    ("cgj", &["城市管理局", "城管局", "城市管理综合执法局", "城市管理行政执法局"]),
    ("xczxj", &["乡村振兴局"]),
    ("tyj", &["体育局"]),
    ("jgswj", &["机关事务管理局", "机关事务局"]),
];

/// What a unit's name ends with; a piece of a 责任单位 list that ends otherwise is not a unit (a person, a post).
#[rustfmt::skip]
const SUFFIXES: &[&str] = &[
    "局", "委", "办", "厅", "室", "中心", "政府", "管委会", "公司", "院", "会", "部", "队", "所", "站",
    "行", "处", "组", "联", "社", "馆", "团", "署", "台", "校", "大学", "区", "县", "市", "镇", "乡",
    "街道", "旗", "州", "省", "园", "场", "关", "协", "单位", "部门", "）",
];

/// Whether a piece of a 责任单位 list names a body: it ends like one, is not prose, and is not a person
/// (a short name without a place or level, 王强, 陈学).
fn is_unit_name(name: &str) -> bool {
    let n = name.chars().count();
    let strong = ["局", "委", "办", "厅", "政府"]
        .iter()
        .any(|s| name.ends_with(s));
    SUFFIXES.iter().any(|s| name.ends_with(s))
        && n <= 30
        && (n > 3
            || strong
            || name.starts_with(['市', '区', '县', '省', '州', '各'])
            || COUNTY.is_match(name))
}

/// Whether a name as a notice writes it (before cleaning) names a body or a group of them, not a person or prose.
pub(super) fn names_a_unit(name: &str) -> bool {
    is_unit_name(&clean(name))
}

/// A group phrase: not one body but a set the office must list (各县区人民政府, 领导小组各成员单位, 有关部门).
static GROUP: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^各|各成员单位$|成员单位$|(?:有关|相关)(?:部门|单位)$|各(?:有关)?(?:部门|单位)$|等部门$",
        // A level with no place's name (各乡镇人民政府、街道办事处) is every body of that level.
        r"|^(?:街道办事处|街道|乡镇人民政府|乡镇政府|乡镇|乡（镇）人民政府|社区|社区居委会|村委会|村（社区）)$",
    ))
});
/// A county-level government as named: 陇西县人民政府, 越秀区, 增城区人民政府.
static COUNTY: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\p{Han}{1,6}?)([县区旗]|县级市)(?:人民政府|政府)?$"));
static ZONE: LazyLock<Regex> =
    LazyLock::new(|| re(r"管委会|管理委员会|开发区|高新区|经开区|新区|园区|示范区|试验区"));
/// Names ending like a county's that are not one (军分区, 社区, 景区).
static NOT_COUNTY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:分区|社区|景区|片区|城区|辖区|市区|矿区|林区|库区)$"));
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| re(r"（[^）]*）"));

/// The units met in a notice, in the order first met.
#[derive(Default)]
pub(super) struct UnitBook {
    /// The issuing city's name (定西市), stripped from unit names for matching.
    city: String,
    units: Vec<Unit>,
    keys: Vec<String>,
}

impl UnitBook {
    /// A book for a notice issued by `office` (its leading place names become the city prefix).
    pub(super) fn new(office: &str) -> UnitBook {
        static CITY: LazyLock<Regex> = LazyLock::new(|| {
            re(r"^((?:\p{Han}{2,6}?(?:市|自治州|州|地区|盟))?(?:\p{Han}{1,6}?(?:县|区|旗))?)")
        });
        let city = CITY
            .captures(office)
            .map(|c| c[1].to_string())
            .filter(|c| !c.starts_with(['市', '区', '县']) && !ZONE.is_match(c))
            .unwrap_or_default();
        UnitBook {
            city,
            ..UnitBook::default()
        }
    }

    /// The place names a unit's name may start with: the issuer's full place, and its last part (新都区 of
    /// 成都市新都区), longest first.
    fn places(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if !self.city.is_empty() {
            out.push(self.city.as_str());
            if let Some(at) = self.city.find(['市', '州', '盟']) {
                let tail = &self.city[at + '市'.len_utf8()..];
                if tail.chars().count() >= 2 {
                    out.push(tail);
                }
            }
        }
        out
    }

    /// The code of the unit `name` names, adding it when new; `None` when the name is no unit (a person).
    pub(super) fn code(&mut self, name: &str) -> Option<String> {
        let name = clean(name);
        if name.is_empty() {
            return None;
        }
        let group = GROUP.is_match(&name);
        let name = if group {
            // 某某领导小组各成员单位 is reported through the group's office: keep the group's own name.
            let stem = name
                .strip_suffix("各成员单位")
                .or_else(|| name.strip_suffix("成员单位"))
                .filter(|s| s.chars().count() >= 5 && !s.starts_with('各'));
            stem.map_or(name.clone(), str::to_string)
        } else {
            name
        };
        if !is_unit_name(&name) {
            return None;
        }
        let key = self.key(&name);
        if let Some(i) = self.keys.iter().position(|k| *k == key) {
            return Some(self.units[i].code.clone());
        }
        let kind = if group || name.contains("领导小组") {
            UnitKind::Group
        } else if ZONE.is_match(&name) {
            UnitKind::Zone
        } else if COUNTY.is_match(&name) && !NOT_COUNTY.is_match(&name) {
            UnitKind::County
        } else {
            UnitKind::Bureau
        };
        let code = self.unique(self.base_code(&name, kind));
        let review = if GROUP.is_match(&name) {
            Some(format!(
                "「{name}」不是一个单位而是一组单位：请在 [[units]] 中逐一列出其成员（各自的代码、名称和邮箱），在任务的 units 中用成员代码替换 {code}，然后删除本条目"
            ))
        } else if kind == UnitKind::Group {
            Some(format!(
                "「{name}」为领导小组：确认由其办公室汇总报送并填写邮箱，或改为列出成员单位"
            ))
        } else {
            Some("填写该单位的报送邮箱（email），核对代码和别名".to_string())
        };
        self.units.push(Unit {
            code: code.clone(),
            aliases: self.aliases(&name),
            name,
            kind,
            email: String::new(),
            review,
        });
        self.keys.push(key);
        Some(code)
    }

    /// Whether the unit with this code is a county.
    pub(super) fn is_county(&self, code: &str) -> bool {
        self.units
            .iter()
            .any(|u| u.code == code && u.kind == UnitKind::County)
    }

    /// Bureaus, zones and groups as first met, then the counties.
    pub(super) fn into_units(self) -> Vec<Unit> {
        let (counties, mut others): (Vec<Unit>, Vec<Unit>) = self
            .units
            .into_iter()
            .partition(|u| u.kind == UnitKind::County);
        others.extend(counties);
        others
    }

    /// The name without the city and level prefixes, with a generic bureau written its canonical way.
    fn key(&self, name: &str) -> String {
        let core = self.core(name);
        if let Some((code, _)) = bureau(&core) {
            return format!("{}:{code}", self.level(name));
        }
        match COUNTY.captures(&core) {
            Some(caps) if !ZONE.is_match(&core) => format!("county:{}{}", &caps[1], &caps[2]),
            _ => fold_text(&core),
        }
    }

    /// The name without the issuing city, the level prefix (市, 区) and 政府 before an office's own name.
    fn core(&self, name: &str) -> String {
        let mut s = name;
        if let Some(rest) = self.places().iter().find_map(|p| s.strip_prefix(p)) {
            s = rest;
        }
        for prefix in ["市政府", "区政府", "县政府", "市", "区", "县", "省"] {
            if let Some(rest) = s.strip_prefix(prefix)
                && bureau(rest).is_some()
            {
                return rest.to_string();
            }
        }
        s.to_string()
    }

    fn base_code(&self, name: &str, kind: UnitKind) -> String {
        if let Some((code, _)) = bureau(&self.core(name)) {
            return code.to_string();
        }
        if kind == UnitKind::County
            && let Some(caps) = COUNTY.captures(name)
        {
            // A one-character place keeps its level (漳县 → zhangxian), as people write it.
            let place = if caps[1].chars().count() == 1 {
                format!("{}{}", &caps[1], &caps[2])
            } else {
                caps[1].to_string()
            };
            return place
                .as_str()
                .to_pinyin()
                .flatten()
                .map(|p| p.plain())
                .collect();
        }
        let core = self.core(name);
        // The level says nothing about which body it is: 市未知局 → wzj, as 市科技局 → kjj.
        let core = match core.strip_prefix(['市', '区', '县', '省']) {
            Some(rest) if rest.chars().count() >= 3 => rest,
            _ => core.as_str(),
        };
        let initials: String = core
            .to_pinyin()
            .flatten()
            .map(|p| p.first_letter())
            .collect::<String>()
            .chars()
            .take(8)
            .collect();
        if initials.is_empty() {
            "unit".to_string()
        } else {
            initials
        }
    }

    fn unique(&self, base: String) -> String {
        let taken = |c: &str| self.units.iter().any(|u| u.code == c);
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|c| !taken(c))
            .unwrap_or(base)
    }

    /// The level a bureau's name carries (市 for 市科技局 or 某某市科技局); a bare 科技局 is the issuer's own.
    fn level(&self, name: &str) -> String {
        let place = self.places().into_iter().find(|p| name.starts_with(p));
        let rest = place.map_or(name, |p| &name[p.len()..]);
        rest.chars()
            .next()
            .filter(|c| matches!(c, '市' | '区' | '县' | '省'))
            .or_else(|| {
                place
                    .or(Some(self.city.as_str()))
                    .and_then(|p| p.chars().last())
            })
            .map(String::from)
            .unwrap_or_default()
    }

    /// Other ways of writing the unit: the bureau's other names with the same level prefix, and the city's.
    fn aliases(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |s: String| {
            if s != name && !out.contains(&s) {
                out.push(s);
            }
        };
        let core = self.core(name);
        if let Some((_, names)) = bureau(&core) {
            let level = self.level(name);
            for n in names.iter() {
                add(format!("{level}{n}"));
                if !self.city.is_empty() && self.city.ends_with(level.as_str()) && !level.is_empty()
                {
                    add(format!("{}{n}", self.city));
                }
            }
        } else if let Some(caps) = COUNTY.captures(name) {
            add(format!("{}{}", &caps[1], &caps[2]));
            add(format!("{}{}人民政府", &caps[1], &caps[2]));
        } else if !self.city.is_empty()
            && !name.starts_with(self.city.as_str())
            && name.starts_with('市')
        {
            add(format!("{}{}", self.city, &name['市'.len_utf8()..]));
        }
        out
    }
}

/// The generic bureau this core name is, if any.
fn bureau(core: &str) -> Option<(&'static str, &'static [&'static str])> {
    let core = fold_text(core);
    BUREAUS
        .iter()
        .find(|(_, names)| names.iter().any(|n| fold_text(n) == core))
        .copied()
}

/// A name as a list gives it, without brackets, 等 and list punctuation.
fn clean(name: &str) -> String {
    let name = name.trim();
    // 各县（市、区） is a group's whole name; elsewhere a bracket is a remark (市科技局（知识产权局）).
    let s = if name.starts_with('各') {
        name.into()
    } else {
        BRACKETED.replace_all(name, "")
    };
    // 市发改委等部门 is 市发改委 (the others are not named); 有关部门 alone stays a group.
    let s = match s.find("等") {
        Some(at)
            if at > 0
                && s[at..]
                    .trim_end_matches(['有', '关', '相', '部', '门', '单', '位', '等'])
                    .is_empty() =>
        {
            s[..at].to_string().into()
        }
        _ => s,
    };
    let s = if s.contains('（') {
        s
    } else {
        s.trim_end_matches('）').into()
    };
    s.trim_matches(|c: char| c.is_whitespace() || "、，；。：|".contains(c))
        .trim_end_matches('等')
        .trim_start_matches(['由', '以'])
        .to_string()
}

/// Splits a 责任单位 list into names: at 、，； and, where both sides are units, at 和 及 与; a group
/// phrase such as 各区、县级市人民政府 or 各县（市、区） stays whole.
pub(super) fn split_names(list: &str) -> Vec<String> {
    static GROUP_RUN: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"各(?:县级市|[县市区乡镇旗]|街道|（[^）]{1,8}）)(?:、?(?:县级市|[县市区乡镇旗]|街道|（[^）]{1,8}）))*(?:人民政府|政府|党委和政府|党委政府|有关部门|相关部门|办事处)?",
        )
    });
    // Inside a bracket a name's own bracket is written 〔〕: 各县〔市、区〕人民政府 is 各县（市、区）人民政府.
    let list = list.replace('〔', "（").replace('〕', "）");
    let mut names = Vec::new();
    let mut rest = list.as_str();
    let mut pieces = Vec::new();
    while let Some(m) = GROUP_RUN.find(rest) {
        // 各街道、区土地开发中心: the group ends where a name begins, at its last 、.
        let mut end = m.end();
        while !rest[end..].is_empty()
            && !rest[end..].starts_with(['、', '，', '；', '\n', '/', '|'])
            && let Some(cut) = rest[m.start()..end].rfind('、')
        {
            end = m.start() + cut;
        }
        pieces.push((false, &rest[..m.start()]));
        pieces.push((true, &rest[m.start()..end]));
        rest = &rest[end..];
    }
    pieces.push((false, rest));
    for (whole, piece) in pieces {
        if whole {
            names.push(piece.trim_end_matches('、').to_string());
            continue;
        }
        let mut depth = 0usize;
        let mut current = String::new();
        for c in piece.chars() {
            match c {
                '（' => depth += 1,
                '）' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 && matches!(c, '、' | '，' | '；' | '\n' | '/' | '|') {
                names.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        }
        names.push(current);
    }
    names
        .into_iter()
        .flat_map(|n| split_conjunction(&n))
        .map(|n| clean(&n))
        .filter(|n| !n.is_empty())
        .collect()
}

fn split_conjunction(name: &str) -> Vec<String> {
    for sep in ['和', '及', '与'] {
        let parts: Vec<&str> = name.split(sep).collect();
        if parts.len() > 1
            && parts.iter().all(|p| {
                p.chars().count() >= 3
                    && SUFFIXES.iter().any(|s| p.ends_with(s))
                    && !p.ends_with("资源")
            })
        {
            return parts.into_iter().map(str::to_string).collect();
        }
    }
    vec![name.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unit_however_written() {
        let mut book = UnitBook::new("某某市人民政府办公室");
        let a = book.code("市发展改革委");
        assert_eq!(a.as_deref(), Some("fgw"));
        assert_eq!(book.code("某某市发展和改革委员会"), a);
        assert_eq!(book.code("市发改委"), a);
        assert_eq!(book.code("市市场监管局").as_deref(), Some("scjgj"));
        assert_eq!(book.code("市政府金融办").as_deref(), Some("jrb"));
        assert_eq!(book.code("张三"), None);
        assert_eq!(book.code("陈学"), None);
        assert_eq!(
            book.code("各地各部门要高度重视并结合实际抓好落实工作"),
            None
        );
        assert_eq!(book.code("漳县人民政府").as_deref(), Some("zhangxian"));
        assert_eq!(book.code("陇西县").as_deref(), Some("longxi"));
        assert_eq!(book.code("陇西县人民政府").as_deref(), Some("longxi"));
        assert_eq!(book.code("市某某产业发展局").as_deref(), Some("mmcyfzj"));
    }

    #[test]
    fn group_phrases_stay_one_group() {
        assert_eq!(
            split_names("市科技局、各区、县级市人民政府，市财政局和市教育局"),
            ["市科技局", "各区、县级市人民政府", "市财政局", "市教育局"]
        );
        assert_eq!(
            split_names("市人力资源和社会保障局、各县（市、区）"),
            ["市人力资源和社会保障局", "各县（市、区）"]
        );
        let mut book = UnitBook::new("");
        let code = book.code("各区、县级市人民政府").unwrap();
        let units = book.into_units();
        let g = units.iter().find(|u| u.code == code).unwrap();
        assert_eq!(g.kind, UnitKind::Group);
        assert!(g.review.is_some());
    }
}
