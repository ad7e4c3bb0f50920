//! `plan extract` on further notices written as held-out checks of the layouts: a city's 任务分工方案 with
//! （牵头单位：…；责任单位：…） after each item, a county's 一是…二是… running text closed by 由…牵头，…配合,
//! a three-year plan with yearly targets, flattened tables (one cell per line, | and tabs), and named leaders.

use huizong::plan::model::{Catalogue, Indicator};

use crate::notices::{Expected, assert_draft, draft_text, fixture, task};

/// Extracts one fixture, checks its tasks, leads, figures and groups, and that every unit is named as the notice
/// writes it (no unit from elsewhere, no person, no bare group word).
fn extract(name: &str, expected: &[Expected<'_>], groups: &[&str]) -> Catalogue {
    let path = fixture(name);
    let text = draft_text("extract", &path);
    let c = assert_draft(&text, expected, groups);
    // A name inside a bracket writes its own bracket 〔〕; the unit keeps （）.
    let notice: String = std::fs::read_to_string(&path)
        .expect("the fixture")
        .split_whitespace()
        .collect::<String>()
        .replace('〔', "（")
        .replace('〕', "）");
    for u in &c.units {
        assert!(notice.contains(&u.name), "{} is not in the notice", u.name);
    }
    c
}

/// The names of a task's units, the lead first.
fn names(c: &Catalogue, code: &str) -> Vec<String> {
    task(c, code)
        .units
        .iter()
        .filter_map(|u| c.unit(u))
        .map(|u| u.name.clone())
        .collect()
}

/// A task's indicators that carry a target.
fn figures<'a>(c: &'a Catalogue, code: &str) -> Vec<&'a Indicator> {
    task(c, code)
        .indicators
        .iter()
        .filter(|i| i.target.is_some())
        .collect()
}

fn plan(c: &Catalogue) -> (&str, &str, i32) {
    (c.plan.title.as_str(), c.plan.office.as_str(), c.plan.year)
}

#[test]
fn more_city_division_duty_in_brackets() {
    let c = extract(
        "more_city_division_duty_in_brackets.txt",
        &[
            ("2.1.1", "市税务局", &["3 亿元 at_least amount"]),
            ("2.1.2", "市发展改革委", &["5 % at_least share"]),
            ("2.2.3", "人行白银市中心支行", &["40 亿元 at_least amount"]),
            (
                "2.2.4",
                "市财政局",
                &["15 亿元 reach amount", "1 % at_most share"],
            ),
            (
                "2.3.5",
                "市市场监管局",
                &["1.2 万户 about count", "2000 户 at_least count"],
            ),
            (
                "2.3.6",
                "市工业和信息化局",
                &["30 户 reach count", "2-3 个 range count"],
            ),
            (
                "2.4.7",
                "市政务服务中心",
                &["1 个工作日 at_most count", "80 个工作日 at_most count"],
            ),
        ],
        &["各县区人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "白银市促进民营经济高质量发展重点任务分工方案",
            "白银市人民政府办公室",
            2021
        )
    );
    assert_eq!(
        names(&c, "2.1.1"),
        ["市税务局", "市财政局", "各县区人民政府"]
    );
    assert_eq!(
        names(&c, "2.3.6"),
        ["市工业和信息化局", "市统计局", "各县区人民政府"]
    );
    // The phone number and the document number are no figures; all targets are this year's.
    assert!(
        c.tasks
            .iter()
            .flat_map(|t| &t.indicators)
            .all(|i| i.deadline == "2021-12-31")
    );
}

#[test]
fn more_county_ordinals_and_led_by_sentence() {
    let c = extract(
        "more_county_ordinals_and_led_by_sentence.txt",
        &[
            (
                "0",
                "",
                &[
                    "1 个 reach count",
                    "6 个 at_least count",
                    "90 % reach share",
                    "15 % about growth",
                ],
            ),
            (
                "3.1",
                "县商务局",
                &["1 个 reach count", "28 个 reach count"],
            ),
            (
                "3.2",
                "县商务局",
                &["6 个 at_least count", "20 家 reach count"],
            ),
            (
                "3.3",
                "县电子商务发展中心",
                &[
                    "1200 人次 at_least count",
                    "10 家 reach count",
                    "2.2 亿元 reach amount",
                ],
            ),
            (
                "3.4",
                "县市场监督管理局",
                &["98 % at_least share", "100 % reach share"],
            ),
        ],
        &["各乡镇人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "会宁县2022年县域商业体系建设工作方案",
            "会宁县人民政府办公室",
            2022
        )
    );
    // 由县商务局牵头，县交通运输局、县邮政分公司配合 after the 一是…三是… of its item.
    assert_eq!(
        names(&c, "3.1"),
        ["县商务局", "县交通运输局", "县邮政分公司"]
    );
    assert_eq!(names(&c, "3.2"), ["县商务局", "各乡镇人民政府"]);
    // 由2021年的1.8亿元提高到2.2亿元: one target with its baseline; 超过100万元的 only says which firms count.
    let sales = figures(&c, "3.3")[2];
    assert_eq!(
        (sales.text.as_str(), sales.baseline),
        ("农产品网络零售额", Some(1.8))
    );
    assert!(figures(&c, "3.3").iter().all(|i| i.unit != "万元"));
    // The leading group's office and the person running it are no units.
    assert!(c.units.iter().all(|u| !u.name.contains("王建国")));
}

#[test]
fn more_table_cell_per_line_with_ceilings() {
    let c = extract(
        "more_table_cell_per_line_with_ceilings.txt",
        &[
            ("1", "市市场监管局", &["0.5 个工作日 at_most count"]),
            ("2", "国网天水供电公司", &["15 个工作日 at_most count"]),
            ("3", "市政务服务中心", &["95 % at_least share"]),
            ("4", "人行天水市中心支行", &["20 % at_least growth"]),
            ("5", "市税务局", &["8 亿元 about amount"]),
        ],
        &["各县区人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "天水市2022年优化营商环境重点任务责任清单",
            "天水市人民政府办公室",
            2022
        )
    );
    assert_eq!(names(&c, "1"), ["市市场监管局", "市公安局", "市税务局"]);
    assert_eq!(figures(&c, "1")[0].deadline, "2022-06-30");
}

#[test]
fn more_table_pipes_with_supporting_column() {
    let c = extract(
        "more_table_pipes_with_supporting_column.txt",
        &[
            ("1", "市能源局", &["100 万千瓦 at_least count"]),
            ("2", "市工业和信息化局", &["3.5 % about share"]),
            ("3", "市住房和城乡建设局", &["70 % at_least share"]),
            ("4", "市交通运输局", &["50 辆 reach count"]),
            // 市林业和草原局 is the 市林草局 of item 1: one unit, under the name written first.
            (
                "5",
                "市林草局",
                &["20 万亩 reach count", "28 % reach share"],
            ),
        ],
        &["各县（区）人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "庆阳市2023年“双碳”重点工作任务分工表",
            "庆阳市人民政府办公室",
            2023
        )
    );
    assert_eq!(
        names(&c, "2"),
        ["市工业和信息化局", "市发展改革委", "市统计局"]
    );
    assert_eq!(figures(&c, "4")[0].deadline, "2023-10-31");
    assert!(c.units.iter().all(|u| u.name != "李明"));
}

#[test]
fn more_three_year_plan_yearly_targets() {
    let c = extract(
        "more_three_year_plan_yearly_targets.txt",
        &[
            ("0", "", &["600 亿元 reach amount", "12 % at_least growth"]),
            (
                "2.1",
                "市工业和信息化局",
                &["8 万吨 reach count", "10 万吨 reach count"],
            ),
            (
                "2.2",
                "金昌经济技术开发区管委会",
                &["5-8 户 range count", "10 万吨 reach count"],
            ),
            (
                "2.3",
                "市科技局",
                &[
                    "2 个 reach count",
                    "3 个 reach count",
                    "3 个 reach count",
                    "2.5 % at_least share",
                ],
            ),
            (
                "2.4",
                "市生态环境局",
                &["60 % at_least share", "25 立方米 at_most count"],
            ),
        ],
        &[],
    );
    assert_eq!(
        (c.plan.office.as_str(), c.plan.year),
        ("金昌市人民政府", 2021)
    );
    assert!(c.plan.title.starts_with("金昌市新材料产业发展三年行动计划"));
    // 到2022年…8万吨，到2023年，达到10万吨: each year its own deadline, the second under the same name.
    let yearly: Vec<_> = figures(&c, "2.1")
        .iter()
        .map(|i| (i.text.as_str(), i.deadline.as_str()))
        .collect();
    assert_eq!(
        yearly,
        [
            ("镍钴新材料产能", "2022-12-31"),
            ("镍钴新材料产能", "2023-12-31")
        ]
    );
    let capacity = figures(&c, "2.2")[1];
    assert_eq!(
        (capacity.text.as_str(), capacity.baseline),
        ("前驱体产能", Some(3.0))
    );
    // 分别为2个、3个和3个 with one subject: each figure kept, and marked for a person to name.
    assert!(figures(&c, "2.3")[..3].iter().all(|i| i.review.is_some()));
    assert_eq!(
        names(&c, "2.4"),
        ["市生态环境局", "市水务局", "金川区人民政府"]
    );
    // The safeguards' 专项资金5000万元 is no task.
    assert_eq!(c.tasks.len(), 5);
}

#[test]
fn more_led_by_sentence_after_each_item() {
    let c = extract(
        "more_led_by_sentence_after_each_item.txt",
        &[
            ("0", "", &["80 % about share", "200 亿元 reach amount"]),
            ("2.1", "市文化和旅游局", &["2 个 reach count"]),
            (
                "2.2",
                "市文化和旅游局",
                &["1000 万元 at_least amount", "30 场次 at_least count"],
            ),
            (
                "2.3",
                "市政府金融办",
                &[
                    "5 亿元 reach amount",
                    "0.5 个百分点 reach share",
                    "0.3 个百分点 reach share",
                    "0.2 个百分点 reach share",
                ],
            ),
            (
                "2.4",
                "市交通运输局",
                &["6 条 reach count", "20 座 at_least count"],
            ),
            (
                "2.5",
                "市人力资源和社会保障局",
                &["3000 人次 reach count", "1 万人 at_least count"],
            ),
        ],
        &["各县（区）人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "张掖市促进文化旅游业恢复发展实施方案",
            "张掖市人民政府办公室",
            2022
        )
    );
    assert_eq!(
        names(&c, "2.3"),
        ["市政府金融办", "人行张掖市中心支行", "张掖银保监分局"]
    );
    // 由市交通运输局牵头，各县（区）人民政府负责落实: the bracket inside the group's name keeps the sentence whole.
    assert_eq!(names(&c, "2.4"), ["市交通运输局", "各县（区）人民政府"]);
    // 国道G227 is a road, not a figure.
    assert_eq!(figures(&c, "2.4")[1].text, "国道G227沿线旅游厕所改造");
}

#[test]
fn more_named_leader_and_ten_thousand_counts() {
    let c = extract(
        "more_named_leader_and_ten_thousand_counts.txt",
        &[
            (
                "0",
                "",
                &[
                    "60 % at_least share",
                    "90 % reach share",
                    "25 % reach share",
                ],
            ),
            (
                "2.1",
                "州农业农村局",
                &["3 万座 reach count", "5000 座 at_least count"],
            ),
            (
                "2.2",
                "州住建局",
                &[
                    "10 座 reach count",
                    "120 辆 about count",
                    "100 % reach share",
                ],
            ),
            (
                "2.3",
                "州生态环境局",
                &["15-20 处 range count", "80 % at_least share"],
            ),
            (
                "2.4",
                "州农业农村局",
                &["12 个 reach count", "30 个 reach count", "95 % reach share"],
            ),
            ("2.5", "州财政局", &["1 万元 at_least amount"]),
        ],
        &["各县（市）人民政府", "领导小组各成员单位"],
    );
    assert_eq!(
        plan(&c),
        (
            "临夏州2022年农村人居环境整治提升工作方案",
            "临夏州人民政府办公室",
            2022
        )
    );
    // 责任领导：马文军 names a person, not a unit.
    assert!(c.units.iter().all(|u| u.name != "马文军"));
    assert_eq!(
        names(&c, "2.1"),
        ["州农业农村局", "州卫生健康委", "各县（市）人民政府"]
    );
}

#[test]
fn more_table_tabs_five_year_separately() {
    let c = extract(
        "more_table_tabs_five_year_separately.txt",
        &[
            (
                "1",
                "市体育局",
                &["2.6 平方米 reach count", "8 个 reach count"],
            ),
            ("2", "市体育局", &["20 项 at_least count"]),
            (
                "3",
                "市体育局",
                &["38.5 % reach share", "92 % at_least share"],
            ),
            ("4", "市体育局", &["2.16 名/千人 reach ratio"]),
            (
                "5",
                "市教育局",
                &[
                    "60 % reach share",
                    "70 % reach share",
                    "80 % at_least share",
                ],
            ),
        ],
        &["各县区人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "武威市“十四五”全民健身实施计划重点任务分解表",
            "武威市体育运动委员会",
            2021
        )
    );
    assert_eq!(
        names(&c, "2"),
        ["市体育局", "市总工会", "团市委", "市教育局"]
    );
    // 完成时限 2021—2025年 is due in 2025; 2023年 in 2023.
    assert_eq!(figures(&c, "2")[0].deadline, "2025-12-31");
    assert_eq!(figures(&c, "5")[0].deadline, "2023-12-31");
}

#[test]
fn more_bare_lead_sentence_and_sole_duty() {
    let c = extract(
        "more_bare_lead_sentence_and_sole_duty.txt",
        &[
            (
                "0",
                "",
                &[
                    "100 个 at_least count",
                    "300 亿元 at_least amount",
                    "70 % reach share",
                ],
            ),
            ("2.1", "新区经济发展局", &["30 个 reach count"]),
            (
                "2.2",
                "新区招商局",
                &["2 个 reach count", "12 次 at_least count"],
            ),
            (
                "2.3",
                "新区政务服务中心",
                &["50 % at_least share", "85 % reach share"],
            ),
            // The last item names nobody and states no figure: still a task, left for the office to assign.
            ("2.4", "", &[]),
        ],
        &["各园区管委会"],
    );
    let draft = draft_text(
        "extract",
        &fixture("more_bare_lead_sentence_and_sole_duty.txt"),
    );
    assert!(draft.contains("# REVIEW: task 2.4: no responsible unit found"));
    assert_eq!(task(&c, "2.4").title, "强化考核");
    assert_eq!(
        plan(&c),
        (
            "兰州新区2022年招商引资工作方案",
            "兰州新区管委会办公室",
            2022
        )
    );
    // 新区经济发展局牵头，新区财政局配合 without 由; 新区招商局负责 alone; 各部门要主动牵头 names no unit.
    assert_eq!(names(&c, "2.1"), ["新区经济发展局", "新区财政局"]);
    assert_eq!(names(&c, "2.2"), ["新区招商局"]);
    assert!(c.units.iter().all(|u| !u.name.contains("各部门")));
}

#[test]
fn more_labelled_lines_item_opening_with_a_month() {
    let c = extract(
        "more_labelled_lines_item_opening_with_a_month.txt",
        &[
            (
                "0",
                "",
                &[
                    "6.5 % about growth",
                    "8 % reach growth",
                    "7 % at_least growth",
                    "5.5 % at_most share",
                ],
            ),
            (
                "2.1",
                "区发展和改革局",
                &["120 亿元 reach amount", "90 亿元 at_least amount"],
            ),
            (
                "2.2",
                "区工信局",
                &["5 户 reach count", "10 % reach growth"],
            ),
            (
                "2.3",
                "区人社局",
                &["3500 人 reach count", "15 万人次 at_least count"],
            ),
            // 4.6月底前兑付…: item 4 opening with its month, not the figure 4.6.
            ("2.4", "区财政局", &["100 % reach share"]),
        ],
        // 各乡镇人民政府、街道办事处: a level without a place's name is a group too.
        &["各乡镇人民政府", "街道办事处"],
    );
    assert_eq!(
        plan(&c),
        (
            "武都区2023年稳住经济大盘工作措施任务分工方案",
            "陇南市武都区人民政府办公室",
            2023
        )
    );
    assert_eq!(figures(&c, "2.4")[0].deadline, "2023-06-30");
    assert_eq!(
        task(&c, "2.4").title,
        "6月底前兑付拖欠中小企业账款，兑付率达到100%"
    );
}

#[test]
fn more_five_year_nested_brackets_and_ages() {
    let c = extract(
        "more_five_year_nested_brackets_and_ages.txt",
        &[
            (
                "0",
                "",
                &[
                    "7.5 张/千人 reach ratio",
                    "3.2 人/千人 reach ratio",
                    "75.5 岁 reach count",
                ],
            ),
            (
                "2.1",
                "市卫生健康委",
                &["1-2 个 range count", "8-10 个 range count"],
            ),
            (
                "2.2",
                "市卫生健康委",
                &[
                    "100 % reach share",
                    "95 % at_least share",
                    "2 个百分点 at_least share",
                ],
            ),
            (
                "2.3",
                "市疾控中心",
                &["6 个 reach count", "5 % at_least share"],
            ),
            (
                "2.4",
                "市卫生健康委",
                &["1 所 reach count", "25 % reach share", "3 % about growth"],
            ),
        ],
        &["各县（市、区）人民政府"],
    );
    assert_eq!(
        plan(&c),
        (
            "平凉市“十四五”医疗卫生服务体系建设实施方案",
            "平凉市人民政府",
            2022
        )
    );
    // （…牵头，…配合，各县〔市、区〕人民政府负责落实）: the nested bracket keeps the annotation whole.
    assert_eq!(
        names(&c, "2.1"),
        [
            "市卫生健康委",
            "各县（市、区）人民政府",
            "市发展改革委",
            "市财政局"
        ]
    );
    // 由2020年的74.5岁提高到75.5岁; “十四五” targets are due in 2025, the safeguards' figures are no tasks.
    let life = figures(&c, "0")[2];
    assert_eq!(
        (life.text.as_str(), life.baseline, life.deadline.as_str()),
        ("人均预期寿命", Some(74.5), "2025-12-31")
    );
    assert!(life.review.is_some());
    assert_eq!(c.tasks.len(), 5);
}

#[test]
fn more_section_labels_over_numbered_items() {
    let c = extract(
        "more_section_labels_over_numbered_items.txt",
        &[
            (
                "0",
                "",
                &[
                    "100 % reach share",
                    "15 个 reach count",
                    "20 % at_least growth",
                ],
            ),
            (
                "2.1.1",
                "区工信局",
                &[
                    "120 个 reach count",
                    "150 个 reach count",
                    "180 个 reach count",
                ],
            ),
            // 20户以上自然村 says which villages count; it is no target.
            ("2.1.2", "区工信局", &["98 % reach share"]),
            (
                "2.2.3",
                "区农业农村局",
                &["300 名 reach count", "22 个 reach count"],
            ),
            (
                "2.2.4",
                "区农业农村局",
                &["3-5 个 range count", "2 万亩 at_least count"],
            ),
            ("2.3.5", "区委政法委", &["90 % at_least share"]),
            ("2.3.6", "区委政法委", &["100 % reach share"]),
        ],
        &["各乡镇人民政府"],
    );
    assert_eq!(
        (c.plan.office.as_str(), c.plan.year),
        ("酒泉市肃州区人民政府办公室", 2022)
    );
    assert!(
        c.plan
            .title
            .starts_with("肃州区推进数字乡村建设三年行动方案")
    );
    // One pair of labels under a section holds for each of its items; two leads both lead.
    assert_eq!(
        names(&c, "2.3.6"),
        [
            "区委政法委",
            "区政务服务中心",
            "区公安分局",
            "各乡镇人民政府"
        ]
    );
    // 2022年新建5G基站120个，2023年新建150个: the later years count the same thing, each due in its year.
    let yearly: Vec<_> = figures(&c, "2.1.1")
        .iter()
        .map(|i| (i.text.as_str(), i.deadline.as_str()))
        .collect();
    assert_eq!(
        yearly,
        [
            ("新建5G基站", "2022-12-31"),
            ("新建5G基站", "2023-12-31"),
            ("新建5G基站", "2024-12-31")
        ]
    );
    assert_eq!(figures(&c, "0")[0].deadline, "2022-12-31");
}

#[test]
fn more_table_pipes_lead_marked_in_duty_column() {
    let c = extract(
        "more_table_pipes_lead_marked_in_duty_column.txt",
        &[
            (
                "1",
                "市市场监管局",
                &["0.1078 万件 reach count", "2.5 件/万人 reach ratio"],
            ),
            // 1到2家 in a cell is a range as in running text; 市工信局、市市场监管局（牵头）: the marked one leads.
            ("2", "市市场监管局", &["1-2 家 range count"]),
            (
                "3",
                "市市场监管局",
                &["10 件 at_least count", "95 % at_least share"],
            ),
            (
                "4",
                "市市场监管局",
                &["300 件 about count", "7 件 reach count"],
            ),
        ],
        &[],
    );
    assert_eq!(
        plan(&c),
        (
            "嘉峪关市2023年知识产权工作要点",
            "嘉峪关市市场监督管理局",
            2023
        )
    );
    assert_eq!(names(&c, "2"), ["市市场监管局", "市工信局"]);
    assert_eq!(figures(&c, "2")[0].deadline, "2023-11-30");
    // 由5件增加到7件: the target with its baseline.
    assert_eq!(figures(&c, "4")[1].baseline, Some(5.0));
    assert!(c.units.iter().all(|u| u.name != "张华"));
}
