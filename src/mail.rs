//! Mail: compose each unit's feedback, leadership's summary and reminders from editable templates, then
//! write them as .eml files to review or deliver them over SMTP, never twice.

use std::path::{Path, PathBuf};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::consolidate::model::{Disposition, Report};
use crate::error::Error;
use crate::finding::Severity;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;
use crate::workspace::Workspace;

pub mod send;
pub mod sendlog;
mod smtp;

pub use send::{Delivery, MailError, deliver, run};

/// The built-in templates, used where the workspace has none of its own.
const BUILTIN: [(&str, &str); 6] = [
    (
        "feedback.subject",
        include_str!("../templates/mail/feedback.subject"),
    ),
    (
        "feedback.body",
        include_str!("../templates/mail/feedback.body"),
    ),
    (
        "leadership.subject",
        include_str!("../templates/mail/leadership.subject"),
    ),
    (
        "leadership.body",
        include_str!("../templates/mail/leadership.body"),
    ),
    (
        "reminder.subject",
        include_str!("../templates/mail/reminder.subject"),
    ),
    (
        "reminder.body",
        include_str!("../templates/mail/reminder.body"),
    ),
];

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Stable name: `feedback_<unit>`, `leadership`, `reminder_<unit>`; also the .eml file's stem.
    pub key: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject (UTF-8).
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// (file name, bytes) of each attachment.
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl Outgoing {
    /// SHA-256 of each attachment, in order: with the key, what makes a message "the same" for the send log.
    pub fn attachment_hashes(&self) -> Vec<String> {
        self.attachments
            .iter()
            .map(|(_, b)| output::hex(&Sha256::digest(b)))
            .collect()
    }
}

/// Composes every message for a period from its report and the files the run wrote.
pub fn compose(
    ws: &Workspace,
    report: &Report,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
) -> Result<Vec<Outgoing>, Error> {
    let env = templates(ws)?;
    let render = |name: &str, ctx: &minijinja::Value| -> Result<String, Error> {
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .map(|s| s.trim_end().to_string())
            .map_err(|e| template_error(name, &e))
    };
    let office = catalogue.plan.office.clone();
    let mut out = Vec::new();
    // A unit with no usable address is left out with a warning, and leadership is told; the rest still go.
    let mut unsent: Vec<String> = Vec::new();
    let reachable = |unit: &crate::plan::model::Unit, unsent: &mut Vec<String>| {
        if mailbox(&unit.email, &unit.code).is_ok() {
            return true;
        }
        log::warn!(
            "unit {} ({}) has no valid email ({:?}); its mail is not written",
            unit.code,
            unit.name,
            unit.email
        );
        unsent.push(unit.name.clone());
        false
    };
    let unit_name = |code: &str| {
        catalogue
            .unit(code)
            .map_or(code.to_string(), |u| u.name.clone())
    };

    for unit in crate::consolidate::feedback::recipients(report, catalogue) {
        if !reachable(unit, &mut unsent) {
            continue;
        }
        let path = ws
            .feedback_dir(period)
            .join(crate::consolidate::feedback::file_name(period, unit));
        let bytes = std::fs::read(&path).map_err(Error::io(&path))?;
        let attachment = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mine: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.unit == unit.code && f.severity != Severity::Info)
            .collect();
        let used = report
            .files
            .iter()
            .find(|f| f.unit == unit.code && f.disposition == Disposition::Accepted);
        let findings: Vec<minijinja::Value> = mine
            .iter()
            .map(|f| {
                minijinja::context! {
                    severity => f.severity.chinese(), place => place(f, catalogue), message => f.message.clone(),
                }
            })
            .collect();
        let ctx = minijinja::context! {
            unit_name => unit.name.clone(), period => period.chinese(), file => used.map(|f| f.name.clone()).unwrap_or_default(),
            rejected => used.is_none(), serious => mine.len(),
            errors => mine.iter().filter(|f| f.severity == Severity::Error).count(),
            warnings => mine.iter().filter(|f| f.severity == Severity::Warning).count(),
            findings => findings, attachment => attachment.clone(),
            deadline => crate::consolidate::feedback::correction_deadline(period, settings), office => office.clone(),
        };
        out.push(Outgoing {
            key: format!("feedback_{}", unit.code),
            to: vec![unit.email.clone()],
            subject: render("feedback.subject", &ctx)?,
            body: render("feedback.body", &ctx)?,
            attachments: vec![(attachment, bytes)],
        });
    }

    let mut reminders = Vec::new();
    if jiff::Timestamp::now() >= settings.deadline(period) {
        for u in report.units.iter().filter(|u| u.status == "missing") {
            let Some(unit) = catalogue.unit(&u.code) else {
                continue;
            };
            if !reachable(unit, &mut unsent) {
                continue;
            }
            let name = crate::forms::file_name(period, unit);
            let form = crate::forms::build(catalogue, settings, period, unit)
                .and_then(|mut wb| wb.save_to_buffer())
                .map_err(output::xlsx_err(&ws.forms_dir(period).join(&name)))?;
            let ctx = minijinja::context! {
                unit_name => unit.name.clone(), period => period.chinese(), due => crate::forms::deadline(period, settings),
                attachment => name.clone(), office => office.clone(),
            };
            reminders.push(Outgoing {
                key: format!("reminder_{}", unit.code),
                to: vec![unit.email.clone()],
                subject: render("reminder.subject", &ctx)?,
                body: render("reminder.body", &ctx)?,
                attachments: vec![(name, form)],
            });
        }
    }
    unsent.sort();
    unsent.dedup();

    let book = ws
        .period_dir(period)
        .join(crate::consolidate::workbook::file_name(catalogue, period));
    let book_bytes = std::fs::read(&book).map_err(Error::io(&book))?;
    let book_name = book
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let count_units = |s: &str| report.units.iter().filter(|u| u.status == s).count();
    let count_ind = |s: &str| report.indicators.iter().filter(|i| i.status == s).count();
    let attention: Vec<minijinja::Value> = report
        .indicators
        .iter()
        .filter_map(|i| {
            let what = indicator_line(i)?;
            Some(minijinja::context! {
                code => i.code.clone(), text => i.text.clone(), lead => unit_name(&i.lead), what => what,
            })
        })
        .collect();
    let top: Vec<minijinja::Value> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .take(10)
        .map(|f| {
            minijinja::context! { who => top_subject(f, catalogue, &unit_name(&f.unit)), message => f.message.clone() }
        })
        .collect();
    let missing_units: Vec<String> = report
        .units
        .iter()
        .filter(|u| u.status == "missing")
        .map(|u| u.name.clone())
        .collect();
    let ctx = minijinja::context! {
        plan_title => catalogue.plan.title.clone(), period => period.chinese(), attachment => book_name.clone(),
        expected => report.units.len(), on_time => count_units("on_time"), late => count_units("late"),
        missing => count_units("missing"), rejected => count_units("rejected"), missing_units => missing_units.join("、"),
        met => count_ind("met") + count_ind("done"), on_track => count_ind("on_track") + count_ind("in_progress"),
        below => count_ind("below_target"), unconfirmed => count_ind("unconfirmed"),
        behind => count_ind("behind") + count_ind("overdue"), not_reported => count_ind("not_reported"),
        attention => attention, errors => report.summary.errors, warnings => report.summary.warnings,
        top_findings => top, office => office.clone(), unsent => unsent.join("、"),
    };
    out.push(Outgoing {
        key: "leadership".to_string(),
        to: settings.leadership.clone(),
        subject: render("leadership.subject", &ctx)?,
        body: render("leadership.body", &ctx)?,
        attachments: vec![(book_name, book_bytes)],
    });
    out.extend(reminders);
    Ok(out)
}

/// Where a finding is, for a mail line: its file, cell and indicator; never empty.
fn place(f: &crate::finding::Finding, catalogue: &Catalogue) -> String {
    let mut parts = Vec::new();
    if !f.file.is_empty() {
        parts.push(format!("文件“{}”", f.file));
    }
    if !f.cell.is_empty() {
        parts.push(format!("{}单元格", f.cell));
    }
    if let Some((_, ind)) = catalogue.indicator(&f.indicator) {
        parts.push(format!("{} {}", ind.code, ind.text));
    } else if !f.indicator.is_empty() {
        parts.push(f.indicator.clone());
    }
    if parts.is_empty() {
        "本期报表".to_string()
    } else {
        parts.join(" ")
    }
}

/// Who and what a leadership line is about: the unit, and the indicator or the file.
fn top_subject(f: &crate::finding::Finding, catalogue: &Catalogue, unit: &str) -> String {
    match catalogue.indicator(&f.indicator) {
        Some((_, ind)) => format!("{unit}（{} {}）", ind.code, ind.text),
        None if !f.file.is_empty() => format!("{unit}（文件“{}”）", f.file),
        None => unit.to_string(),
    }
}

/// What leadership should know about an indicator that is not going well; none for one that is.
fn indicator_line(i: &crate::consolidate::model::IndicatorStatus) -> Option<String> {
    use crate::display::{figure, pro_rata};
    let fig = |v: f64| format!("{}{}", figure(v, &i.unit), i.unit);
    match (i.status.as_str(), i.city) {
        ("behind", Some(v)) => Some(match i.expected_to_date {
            Some(e) => format!(
                "进度滞后，全市累计{}，按时序应完成{}{}",
                fig(v),
                pro_rata(e, &i.unit),
                i.unit
            ),
            None => format!("进度滞后，全市累计{}", fig(v)),
        }),
        ("below_target", Some(v)) => Some(format!(
            "低于目标，全市{}，目标{}{}{}",
            fig(v),
            i.target_display,
            i.unit,
            i.gap
                .map(|g| {
                    let unit = if i.unit == "%" {
                        "个百分点"
                    } else {
                        i.unit.as_str()
                    };
                    format!("，差{}{unit}", figure(g, &i.unit))
                })
                .unwrap_or_default()
        )),
        ("unconfirmed", Some(v)) => Some(format!("待核实，牵头单位填报{}，暂不计入进度", fig(v))),
        ("unconfirmed", None) => Some("待核实，牵头单位填报的数字无法使用".to_string()),
        ("overdue", _) => Some(format!(
            "逾期未完成，目前{}",
            i.state.clone().unwrap_or_else(|| "未报送".to_string())
        )),
        _ => None,
    }
}

fn template_error(name: &str, e: &minijinja::Error) -> Error {
    MailError::Template {
        name: name.to_string(),
        message: e.to_string(),
    }
    .into()
}

/// The templates: the workspace's `templates/mail/*` where present, else the built-in ones.
fn templates(ws: &Workspace) -> Result<minijinja::Environment<'static>, Error> {
    let mut env = minijinja::Environment::new();
    for (name, builtin) in BUILTIN {
        let path = ws.root.join("templates").join("mail").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| builtin.to_string());
        env.add_template_owned(name.to_string(), text)
            .map_err(|e| template_error(name, &e))?;
    }
    Ok(env)
}

fn mailbox(address: &str, context: &str) -> Result<Mailbox, MailError> {
    address.parse().map_err(|_| MailError::Address {
        address: address.to_string(),
        context: context.to_string(),
    })
}

/// Builds the RFC 5322 message: UTF-8 subject, a text body, attachments with their Chinese names encoded.
pub fn message(m: &Outgoing, from: &str) -> Result<Message, Error> {
    let mut builder = Message::builder()
        .from(mailbox(from, "smtp.from")?)
        .subject(m.subject.clone());
    for to in &m.to {
        builder = builder.to(mailbox(to, &m.key)?);
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(m.body.clone()));
    for (name, bytes) in &m.attachments {
        let kind =
            ContentType::parse("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .expect("a valid MIME type");
        parts = parts.singlepart(Attachment::new(name.clone()).body(bytes.clone(), kind));
    }
    builder.multipart(parts).map_err(|e| {
        MailError::Build {
            key: m.key.clone(),
            message: e.to_string(),
        }
        .into()
    })
}

/// Writes each message as `<key>.eml` into `dir` for review; returns the paths.
pub fn write_eml(dir: &Path, messages: &[Outgoing], from: &str) -> Result<Vec<PathBuf>, Error> {
    messages
        .iter()
        .map(|m| {
            let path = dir.join(format!("{}.eml", m.key));
            output::write_atomic(&path, &message(m, from)?.formatted())?;
            Ok(path)
        })
        .collect()
}
