//! `plan extract` on notices of other cities, one fixture per layout family (a)–(f); `plan import` on a
//! responsibility table in .xlsx and .csv; `init --from`; and `plan check` on what a draft leaves to review.

use std::path::PathBuf;

use huizong::plan::model::{Catalogue, Comparator, IndicatorKind, Target, UnitKind};
use rust_xlsxwriter::{Format, Workbook};

use crate::util::{self, Workspace};

pub(crate) fn fixture(name: &str) -> PathBuf {
    util::repo().join("tests/fixtures/notices").join(name)
}

/// The draft TOML `plan extract` (or `plan import`) writes for a file.
pub(crate) fn draft_text(sub: &str, path: &std::path::Path) -> String {
    let ws = Workspace::new();
    util::stdout(&ws.ok(&["plan", sub, path.to_str().unwrap()]))
}

/// A figure as comparable text: `target unit comparator kind`.
fn figure(target: Target, unit: &str, comparator: Comparator, kind: IndicatorKind) -> String {
    let target = match target {
        Target::Value(v) => format!("{v}"),
        Target::Range([a, b]) => format!("{a}-{b}"),
    };
    let snake = |s: String| {
        s.chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let lower = c.to_ascii_lowercase();
                if c.is_ascii_uppercase() && i > 0 {
                    vec!['_', lower]
                } else {
                    vec![lower]
                }
            })
            .collect::<String>()
    };
    format!(
        "{target} {unit} {} {}",
        snake(format!("{comparator:?}")),
        snake(format!("{kind:?}"))
    )
}

/// Each task as (code, lead's name, its figures), and the names of the groups.
pub(crate) type Expected<'a> = (&'a str, &'a str, &'a [&'a str]);

pub(crate) fn assert_draft(text: &str, expected: &[Expected<'_>], groups: &[&str]) -> Catalogue {
    let c = Catalogue::from_toml(text).expect("the draft parses");
    let got: Vec<(String, String, Vec<String>)> = c
        .tasks
        .iter()
        .map(|t| {
            let lead = t
                .units
                .first()
                .and_then(|u| c.unit(u))
                .map(|u| u.name.clone())
                .unwrap_or_default();
            let figures = t
                .indicators
                .iter()
                .filter_map(|i| Some(figure(i.target?, &i.unit, i.comparator, i.kind)))
                .collect();
            (t.code.clone(), lead, figures)
        })
        .collect();
    let want: Vec<(String, String, Vec<String>)> = expected
        .iter()
        .map(|(code, lead, figs)| {
            (
                code.to_string(),
                lead.to_string(),
                figs.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let got_groups: Vec<&str> = c
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Group)
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(got_groups, groups);
    // Another city's draft names nothing of Dingxi's and no built-in address; no unit is a bare 各区.
    assert!(
        !text.contains("定西") && !text.contains("example.org"),
        "{text}"
    );
    assert!(
        c.units
            .iter()
            .all(|u| u.email.is_empty() && u.review.is_some())
    );
    assert!(
        c.units
            .iter()
            .all(|u| !["各区", "县级市", "各县"].contains(&u.name.as_str()))
    );
    c
}

pub(crate) fn task<'a>(c: &'a Catalogue, code: &str) -> &'a huizong::plan::model::Task {
    c.tasks.iter().find(|t| t.code == code).expect("task")
}

#[test]
fn layout_a_goals_and_duty_of_another_city() {
    let text = draft_text("extract", &fixture("a_goals_and_duty.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "2.1",
                "市科技局",
                &[
                    "20 家 at_least count",
                    "150 家 reach count",
                    "15 亿元 reach amount",
                ],
            ),
            (
                "2.2",
                "白银高新技术产业开发区管委会",
                &["5-8 个 range count"],
            ),
            (
                "2.3",
                "市委组织部",
                &["300 人 at_least count", "500 名 about count"],
            ),
        ],
        &["各县区人民政府"],
    );
    assert_eq!(c.plan.title, "白银市科技创新驱动高质量发展实施方案");
    assert_eq!(c.plan.office, "白银市人民政府办公室");
    assert_eq!(c.plan.year, 2021);
    assert_eq!(c.unit("zhangxian"), None);
    let counties: Vec<_> = c
        .counties()
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    assert_eq!(
        counties,
        [
            ("huining", "会宁县人民政府"),
            ("jingyuan", "靖远县人民政府")
        ]
    );
    // 2021年6月底前 holds for the clauses after it.
    assert_eq!(task(&c, "2.2").indicators[1].deadline, "2021-06-30");
}

#[test]
fn layout_b_target_lines_then_labelled_units() {
    let text = draft_text("extract", &fixture("b_labelled_lines.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "1.1",
                "市市场监督管理局",
                &["1 个工作日 at_most count", "2.5 万户 at_least count"],
            ),
            ("1.2", "市住房和城乡建设局", &["80 个工作日 at_most count"]),
            ("1.3", "市政务服务中心", &["95 % at_least share"]),
            (
                "2.4",
                "市税务局",
                &["12 亿元 about amount", "1.2 万家 reach count"],
            ),
            ("2.5", "市财政局", &["100 % reach share"]),
        ],
        &["各县市区人民政府"],
    );
    // 完成时限 sets the deadline; 牵头单位 with two names: both lead, in order, before the 配合单位.
    assert_eq!(task(&c, "1.1").indicators[0].deadline, "2021-06-30");
    assert_eq!(task(&c, "2.4").units, ["swj", "czj", "fgw"]);
    // 市发展和改革委员会 and 市发改委 are one unit; the phone and room numbers are no figures.
    assert_eq!(c.units.iter().filter(|u| u.code == "fgw").count(), 1);
    assert_eq!(c.indicators().count(), 7);
}

#[test]
fn layout_c_parenthetical_responsibility_in_every_form() {
    let text = draft_text("extract", &fixture("c_parenthetical.txt"));
    let c = assert_draft(
        &text,
        &[
            ("0", "", &["12 % reach share"]),
            (
                "2.1.1",
                "市工业和信息化局",
                &["2000 亿元 at_least amount", "3-5 家 range count"],
            ),
            ("2.1.2", "市工业和信息化局", &["15 % at_least growth"]),
            (
                "2.2.3",
                "市工业和信息化局",
                &["500 个 at_least count", "10 家 at_least count"],
            ),
            (
                "2.2.4",
                "市通信发展管理办公室",
                &["8000 个 about count", "98 % reach share"],
            ),
            ("2.3.5", "市委组织部", &["1 万名 reach count"]),
        ],
        &["各市（县）、区人民政府"],
    );
    // The plan's own name, not the 《规划》 it cites; a person (责任领导:王强) is not a unit.
    assert_eq!(
        c.plan.title,
        "无锡市推进数字经济高质量发展三年行动计划（2021-2023年）"
    );
    assert!(c.units.iter().all(|u| !u.name.contains("王强")));
    assert_eq!(task(&c, "2.2.3").units, ["gxj", "gsxqrmzf", "czj"]);
    // A three-year plan: targets are due at its end, undated ones marked for a look.
    assert_eq!(task(&c, "2.1.1").indicators[0].deadline, "2023-12-31");
    assert!(task(&c, "2.1.1").indicators[0].review.is_none());
    assert!(task(&c, "2.2.4").indicators[0].review.is_some());
}

#[test]
fn layout_d_table_with_pipes() {
    let text = draft_text("extract", &fixture("d_table_pipes.txt"));
    let c = assert_draft(
        &text,
        &[
            ("1", "区工业和信息化局", &["8 % about growth"]),
            (
                "2",
                "区发展改革局",
                &["60 个 at_least count", "500 亿元 reach amount"],
            ),
            ("3", "区科技局", &["10 家 reach count"]),
            ("4", "区发展改革局", &["0.35 吨标准煤 at_most count"]),
            ("5", "区规划和自然资源局", &["3000 亩 at_least count"]),
        ],
        &["各街道"],
    );
    assert_eq!(c.plan.office, "广州市黄埔区人民政府办公室");
    assert_eq!(task(&c, "3").indicators[0].deadline, "2022-11-30");
    let names: Vec<_> = task(&c, "5")
        .units
        .iter()
        .map(|u| c.unit(u).unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["区规划和自然资源局", "各街道", "区土地开发中心"]);
}

#[test]
fn layout_d_table_one_cell_per_line_with_stacked_units() {
    let text = draft_text("extract", &fixture("d_table_cell_per_line.txt"));
    let c = assert_draft(
        &text,
        &[
            ("1", "市农业农村局", &["645 万亩 at_least count"]),
            ("2", "市农业农村局", &["35 万亩 reach count"]),
            ("3", "市农业农村局", &["17200 元 reach amount"]),
            ("4", "市农业农村局", &["85 % reach share"]),
        ],
        &["各县（市、区）人民政府"],
    );
    assert_eq!(task(&c, "1").units.len(), 4);
    // 从16000元提高到17200元: the target with its baseline.
    let income = &task(&c, "3").indicators[0];
    assert_eq!(
        (income.baseline, income.text.as_str()),
        (Some(16000.0), "农村居民人均可支配收入")
    );
    // The signature after the table is no unit, its date no deadline.
    assert_eq!(task(&c, "4").units.len(), 3);
    assert_eq!(task(&c, "4").indicators[0].deadline, "2021-12-31");
}

#[test]
fn layout_e_numbered_items_with_targets_in_running_text() {
    let text = draft_text("extract", &fixture("e_numbered_running_text.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "2.1.1",
                "区人社局",
                &[
                    "1.2 万人 reach count",
                    "4 % at_most share",
                    "8000 人次 at_least count",
                ],
            ),
            (
                "2.1.2",
                "区教育局",
                &["6 所 reach count", "5400 个 reach count"],
            ),
            ("2.2.3", "区卫健局", &["90 % reach share"]),
            (
                "2.2.4",
                "区民政局",
                &["2 个 reach count", "200 户 at_least count"],
            ),
        ],
        &["各镇（街道）"],
    );
    let texts: Vec<_> = task(&c, "2.1.1")
        .indicators
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(
        texts,
        ["城镇新增就业", "城镇登记失业率", "开展职业技能培训"]
    );
    assert_eq!(c.plan.office, "成都市新都区人民政府");
}

#[test]
fn layout_f_multi_year_plan_takes_deadlines_from_the_text() {
    let text = draft_text("extract", &fixture("f_multi_year.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "0",
                "",
                &["15 % reach share", "10 % reach share", "26 % reach share"],
            ),
            (
                "2.1",
                "市工信局",
                &["40 家 at_least count", "8-10 家 range count"],
            ),
            (
                "2.2",
                "市交通运输局",
                &["80 % reach share", "12 座 reach count"],
            ),
            (
                "2.3",
                "市住建局",
                &["120 万平方米 reach count", "70 % at_least share"],
            ),
            (
                "2.4",
                "市农业农村局",
                &["95 % reach share", "15 万吨 at_most count"],
            ),
            (
                "2.5",
                "市机关事务管理局",
                &[
                    "5 % reach share",
                    "6 % reach share",
                    "7 % reach share",
                    "0.1078 万件 reach count",
                ],
            ),
        ],
        &["各县区人民政府"],
    );
    let deadlines: Vec<_> = task(&c, "2.1")
        .indicators
        .iter()
        .map(|i| i.deadline.as_str())
        .collect();
    assert_eq!(deadlines, ["2025-12-31", "2023-12-31"]);
    assert_eq!(task(&c, "2.2").indicators[0].deadline, "2024-12-31");
    let split: Vec<_> = task(&c, "2.5")
        .indicators
        .iter()
        .take(3)
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(
        split,
        [
            "公共机构单位建筑面积能耗下降",
            "人均综合能耗下降",
            "单位建筑面积碳排放下降"
        ]
    );
    assert_eq!(task(&c, "2.4").indicators[0].baseline, Some(85.0));
    // Road codes (G316) are no figures; the overall targets have no lead and say so.
    assert!(task(&c, "2.2").indicators[1].text.contains("G316"));
    assert!(text.contains("# REVIEW: task 0: no responsible unit found"));
}

/// A 任务分工表 as an office keeps it: a title row, the header, a task merged over two rows, units stacked.
fn table_rows() -> Vec<Vec<&'static str>> {
    vec![
        vec![
            "序号",
            "重点任务",
            "目标任务",
            "牵头单位",
            "责任单位",
            "完成时限",
        ],
        vec![
            "1",
            "扩大有效投资",
            "完成固定资产投资增长10%左右",
            "市发展改革委",
            "市统计局",
            "2023年12月底",
        ],
        vec!["", "", "新开工重大项目不少于50个", "", "", ""],
        vec![
            "2",
            "培育创新主体",
            "新增高新技术企业80家",
            "市科技局",
            "市财政局、各区县人民政府",
            "2023年11月",
        ],
        vec![
            "3",
            "提升城市品质",
            "建成口袋公园20-30个",
            "市住建局",
            "市城管局",
            "2023年10月底",
        ],
        vec!["", "", "", "", "市自然资源局", ""],
    ]
}

fn assert_table_draft(text: &str) {
    let c = assert_draft(
        text,
        &[
            (
                "1",
                "市发展改革委",
                &["10 % about growth", "50 个 at_least count"],
            ),
            ("2", "市科技局", &["80 家 reach count"]),
            ("3", "市住建局", &["20-30 个 range count"]),
        ],
        &["各区县人民政府"],
    );
    assert_eq!(c.plan.title, "长沙市2023年重点工作任务分工方案");
    assert_eq!(c.plan.year, 2023);
    assert_eq!(task(&c, "3").units, ["zjj", "cgj", "zrzyj"]);
    assert_eq!(task(&c, "2").indicators[0].deadline, "2023-11-30");
}

#[test]
fn import_reads_a_responsibility_table_from_xlsx() {
    let ws = Workspace::new();
    let path = ws.path().join("任务分工表.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    sheet
        .merge_range(
            0,
            0,
            0,
            5,
            "长沙市人民政府办公厅\n长沙市2023年重点工作任务分工方案",
            &bold,
        )
        .unwrap();
    for (r, row) in table_rows().iter().enumerate() {
        for (k, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 2, k as u16, *cell).unwrap();
            }
        }
    }
    // The task of row 1 spans its second target row, as offices merge it.
    sheet
        .merge_range(3, 1, 4, 1, "扩大有效投资", &Format::new())
        .unwrap();
    book.save(&path).unwrap();
    let text = draft_text("import", &path);
    assert_table_draft(&text);
    assert!(text.contains("office = \"长沙市人民政府办公厅\""), "{text}");
}

#[test]
fn import_reads_a_gbk_csv_as_wps_saves_it() {
    let ws = Workspace::new();
    let path = ws.path().join("长沙市2023年重点工作任务分工方案.csv");
    let csv: String = table_rows()
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let (bytes, _, bad) = encoding_rs::GBK.encode(&csv);
    assert!(!bad);
    std::fs::write(&path, &bytes).unwrap();
    assert_table_draft(&draft_text("import", &path));
    // `init --from` a table drafts the same plan into the new workspace.
    let dir = ws.path().join("changsha");
    ws.ok(&[
        "init",
        dir.to_str().unwrap(),
        "--from",
        path.to_str().unwrap(),
    ]);
    assert_table_draft(&std::fs::read_to_string(dir.join("templates/plan.toml")).unwrap());
}

#[test]
fn import_refuses_a_sheet_without_a_responsibility_table() {
    let ws = Workspace::new();
    let path = ws.path().join("名单.csv");
    std::fs::write(&path, "姓名,电话\n张三,123\n").unwrap();
    let out = ws.run(&["plan", "import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("名单.csv has no responsibility table"),
        "{err}"
    );
}

#[test]
fn init_makes_a_workspace_from_a_notice() {
    let ws = Workspace::new();
    let dir = ws.path().join("zhuzhou");
    let out = ws.ok(&[
        "init",
        dir.to_str().unwrap(),
        "--from",
        fixture("b_labelled_lines.txt").to_str().unwrap(),
    ]);
    let said = util::stdout(&out);
    assert!(
        said.contains("review mark(s)") && said.contains("plan check"),
        "{said}"
    );
    for sub in ["inbox", "outbox", "templates"] {
        assert!(dir.join(sub).is_dir(), "{sub}");
    }
    let settings = std::fs::read_to_string(dir.join("huizong.toml")).unwrap();
    assert!(settings.lines().all(|l| l.is_empty() || l.starts_with('#')));
    let plan = std::fs::read_to_string(dir.join("templates/plan.toml")).unwrap();
    let c = Catalogue::from_toml(&plan).expect("the draft parses");
    assert_eq!(c.tasks.len(), 5);
    // The same folder again is refused rather than overwritten.
    let again = ws.run(&["init", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn check_fails_what_a_draft_leaves_and_names_the_lines() {
    let ws = Workspace::new();
    let dir = ws.path().join("luoyang");
    ws.ok(&[
        "init",
        dir.to_str().unwrap(),
        "--from",
        fixture("d_table_cell_per_line.txt").to_str().unwrap(),
    ]);
    let plan = dir.join("templates/plan.toml");
    let out = ws.run(&["plan", "check", plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = util::stdout(&out);
    assert!(
        text.lines().any(|l| l.starts_with("unit ")
            && l.contains("各县（市、区）人民政府")
            && l.contains("is a group")),
        "{text}"
    );
    let source = std::fs::read_to_string(&plan).unwrap();
    let marks = source
        .lines()
        .filter(|l| l.starts_with("review =") || l.starts_with("# REVIEW:"))
        .count();
    let named = text.lines().filter(|l| l.starts_with("line ")).count();
    assert_eq!(named, marks);
    let first = source
        .lines()
        .position(|l| l.starts_with("review ="))
        .unwrap()
        + 1;
    assert!(
        text.contains(&format!("line {first}: review mark left")),
        "{text}"
    );
    // Units without an email are a warning on stderr, not a problem.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no email"), "{err}");
}

#[test]
fn check_fails_an_empty_catalogue_and_a_plan_without_title_or_office() {
    let ws = Workspace::new();
    let path = ws.path().join("empty.toml");
    std::fs::write(
        &path,
        "[plan]\nid = \"x\"\ntitle = \"\"\nyear = 2021\noffice = \"\"\n",
    )
    .unwrap();
    let out = ws.run(&["plan", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = util::stdout(&out);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "plan: the catalogue is empty (0 units, 0 tasks, 0 indicators); a plan needs units, tasks and their indicators",
            "plan: the title is empty; set [plan] title as the notice writes it",
            "plan: the office is empty; set [plan] office as the notice writes it",
        ]
    );
}

#[test]
fn layout_b_duty_list_marks_the_lead_and_thresholds_are_no_targets() {
    let text = draft_text("extract", &fixture("b_duty_list_marks_the_lead.txt"));
    let c = assert_draft(
        &text,
        &[
            ("1.1", "市工信局", &["6.5 % about growth"]),
            ("1.2", "市发改委", &["50 万千瓦 at_least count"]),
            (
                "2.3",
                "市发改委",
                &["8 % reach growth", "180 个 reach count"],
            ),
            ("2.4", "市财政局", &["15 亿元 at_least amount"]),
            (
                "3.5",
                "市商务局",
                &["1000 万元 reach amount", "7 % at_least growth"],
            ),
        ],
        &["各有关部门"],
    );
    assert_eq!(task(&c, "2.3").indicators[1].text, "实施500万元以上项目");
    assert!(c.units.iter().any(|u| u.name == "国网嘉峪关供电公司"));
}

#[test]
fn layout_b_main_goals_label_is_not_part_of_a_target() {
    let text = draft_text("extract", &fixture("b_main_goals_label.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "1.1",
                "市商务局",
                &["1.4 万家 at_least count", "8 万人 reach count"],
            ),
            (
                "1.2",
                "市邮政管理局",
                &["9 个 reach count", "100 % reach share"],
            ),
            ("1.3", "市商务局", &["20 个 at_least count"]),
        ],
        &["各县区人民政府"],
    );
    assert_eq!(task(&c, "1.2").indicators[0].text, "建成县级物流配送中心");
    assert_eq!(task(&c, "1.1").title, "培育电商主体");
}

#[test]
fn layout_c_bracket_duty_per_section_with_ordinals() {
    let text = draft_text("extract", &fixture("c_bracket_duty_per_section.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "0",
                "",
                &[
                    "300 个 at_least count",
                    "400 亿元 reach amount",
                    "10 % at_least growth",
                ],
            ),
            ("2.1", "市投资促进局", &["10 次 at_least count"]),
            ("2.2", "市投资促进局", &["3 个 reach count"]),
            (
                "2.3",
                "市营商办",
                &["100 % reach share", "50 % reach share"],
            ),
            ("2.4", "市委督查室", &[]),
        ],
        &["各县（市、区）人民政府"],
    );
    // 市商务局等部门配合: 市商务局, not a group; a task without a figure is one milestone, its title.
    assert_eq!(task(&c, "2.2").units, ["tzcjj", "swuj"]);
    let m = &task(&c, "2.4").indicators[0];
    assert_eq!(
        (m.kind, m.text.as_str()),
        (IndicatorKind::Milestone, "加强考核督导")
    );
}

#[test]
fn layout_d_table_with_tabs_and_no_serial() {
    let text = draft_text("extract", &fixture("d_table_tabs_no_serial.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "1",
                "区住建局",
                &["32 个 reach count", "4200 户 reach count"],
            ),
            ("2", "区交通运输局", &["120 公里 reach count"]),
            (
                "3",
                "区教育局",
                &["3 所 reach count", "92 % at_least share"],
            ),
        ],
        &["各乡镇"],
    );
    assert_eq!(c.plan.title, "酒泉市肃州区2021年重点民生实事任务分解表");
    assert!(text.contains("# REVIEW: no issuing office found"));
    assert_eq!(task(&c, "3").indicators[1].deadline, "2021-09-30");
}

#[test]
fn layout_d_table_one_cell_per_line_without_a_time_column() {
    let text = draft_text("extract", &fixture("d_table_cell_per_line_no_time.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "1",
                "市教育局",
                &["5 所 reach count", "1500 个 reach count"],
            ),
            ("2", "市卫生健康委", &["70 % at_least share"]),
            (
                "3",
                "市住建局",
                &["60 个 reach count", "8000 户 at_least count"],
            ),
        ],
        &["各县区人民政府"],
    );
    assert_eq!(c.plan.title, "武威市2022年为民办实事任务分工表");
    // 65岁以上老年人 qualifies who is examined; it is no target.
    assert_eq!(task(&c, "2").indicators.len(), 1);
}

#[test]
fn layout_f_five_year_plan_overall_targets_and_ratios() {
    let text = draft_text("extract", &fixture("f_five_year_plan.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "0",
                "",
                &[
                    "38.5 % reach share",
                    "2.6 平方米 reach count",
                    "2.16 名/千人 reach ratio",
                ],
            ),
            ("2.1", "市体育局", &["6 个 reach count", "4 个 reach count"]),
            ("2.2", "市体育局", &["20 项 at_least count"]),
            ("2.3", "市体育局", &["92 % at_least share"]),
        ],
        &["各县区人民政府"],
    );
    // “十四五” ends in 2025; 到2023年 is the target's own year.
    assert_eq!(task(&c, "2.1").indicators[0].deadline, "2025-12-31");
    assert_eq!(task(&c, "2.3").indicators[0].deadline, "2023-12-31");
}

#[test]
fn layout_a_goals_on_some_tasks_and_labels_without_colons() {
    let text = draft_text("extract", &fixture("a_goals_on_some_tasks_bare_labels.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "0",
                "",
                &[
                    "2500 万人次 reach count",
                    "120 亿元 reach amount",
                    "15 % reach growth",
                    "18 % reach growth",
                ],
            ),
            ("2.1", "州文化和旅游局", &[]),
            (
                "2.2",
                "州商务局",
                &["30 场次 at_least count", "5 个 reach count"],
            ),
        ],
        &["各县市人民政府"],
    );
    // 分别增长15%和18% refers back to the figures of its sentence.
    let growth: Vec<_> = task(&c, "0").indicators[2..]
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(growth, ["全年接待游客增长", "实现旅游综合收入增长"]);
    // With 预期目标, the goals are the targets (a milestone here); 责任单位要细化措施 is no label.
    assert_eq!(
        task(&c, "2.1").indicators[0].text,
        "年底前完成八坊十三巷景区提升改造"
    );
    assert_eq!(c.units.len(), 4);
}

#[test]
fn layout_c_bracket_on_the_heading_targets_after_it() {
    let text = draft_text("extract", &fixture("c_bracket_on_heading_text_after.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "1.1",
                "市体育局",
                &["3 个 reach count", "50 套 at_least count"],
            ),
            ("1.2", "市自然资源局", &["20 公里 reach count"]),
            (
                "2.3",
                "市体育局",
                &["40 场次 at_least count", "5 万人次 reach count"],
            ),
        ],
        &[],
    );
    assert_eq!(task(&c, "1.1").title, "新建社区健身中心");
}

#[test]
fn layout_c_square_brackets_in_a_multi_year_plan() {
    let text = draft_text("extract", &fixture("c_square_brackets_multi_year.txt"));
    let c = assert_draft(
        &text,
        &[
            (
                "0",
                "",
                &["3000 亿元 at_least amount", "3500 万标准箱 reach count"],
            ),
            (
                "2.1.1",
                "市交通局",
                &["15 个 reach count", "13 亿吨 at_least count"],
            ),
            ("2.1.2", "市交通局", &["10 % at_least growth"]),
            ("2.2.3", "市轨道交通集团", &["100 公里 about count"]),
            ("2.2.4", "市交通局", &["200 公里 reach count"]),
        ],
        &["各相关区县（市）政府", "各区县（市）政府"],
    );
    assert_eq!(c.plan.office, "宁波市人民政府办公厅");
    // 2023年底前 is the milestone's own deadline in a plan running to 2025.
    let line = &task(&c, "2.1.2").indicators[1];
    assert_eq!(
        (line.kind, line.deadline.as_str()),
        (IndicatorKind::Milestone, "2023-12-31")
    );
}

#[test]
fn layout_e_numbered_targets_without_any_responsibility() {
    let text = draft_text("extract", &fixture("e_numbered_without_duty.txt"));
    let c = assert_draft(
        &text,
        &[
            ("1.1", "", &["7 % about growth"]),
            ("1.2", "", &["8 % at_least growth"]),
            ("1.3", "", &["10 % reach growth", "6 % reach growth"]),
            ("2.4", "", &["2.5 万人 reach count", "5.5 % at_most share"]),
            ("2.5", "", &["7.5 % reach growth"]),
        ],
        &[],
    );
    assert_eq!(c.plan.title, "2023年国民经济和社会发展主要预期目标");
    // No unit is guessed: each task says it needs its units.
    assert!(c.units.is_empty());
    assert_eq!(text.matches("no responsible unit found").count(), 5);
}
