//! `huizong init DIR [--from NOTICE|TABLE]`: a new office's workspace, its plan drafted from its own notice.

use std::path::Path;

use crate::error::Error;

const SETTINGS_EXAMPLE: &str = "\
# huizong settings: every key is optional (see README.md, \"Settings\"). Uncomment what you need.
#
# deadline_day = 5            # returns are due on this day of the following month
# correction_day = 10         # corrected returns are due by this day
#
# [mail]
# leadership = [\"leader@example.org\"]
#
# [smtp]
# host = \"smtp.example.org\"
# security = \"starttls\"
# user = \"huizong\"
# from = \"huizong@example.org\"
";

const PLAN_SKELETON: &str = "\
# REVIEW: no notice given: fill in the plan, its units and tasks (or run `huizong init DIR --from NOTICE`)

[plan]
id = \"plan\"
title = \"\"
year = 2021
office = \"\"
";

/// Creates the workspace and returns what to do next, for the terminal.
pub fn init(dir: &Path, from: Option<&Path>) -> Result<String, Error> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(Error::io(dir))?
            .next()
            .is_some()
    {
        return Err(Error::Usage(format!(
            "{} already exists and is not empty; give a new folder for the workspace",
            dir.display()
        )));
    }
    let plan = match from {
        Some(source) if super::import::is_table(source) => super::import::import_toml(source)?,
        Some(source) => {
            let text = std::fs::read_to_string(source).map_err(Error::io(source))?;
            super::extract::extract_toml(&text)
        }
        None => PLAN_SKELETON.to_string(),
    };
    for sub in ["templates", "inbox", "outbox"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).map_err(Error::io(&path))?;
    }
    let plan_path = dir.join("templates").join("plan.toml");
    std::fs::write(&plan_path, &plan).map_err(Error::io(&plan_path))?;
    let settings_path = dir.join("huizong.toml");
    std::fs::write(&settings_path, SETTINGS_EXAMPLE).map_err(Error::io(&settings_path))?;
    let marks = super::check::review_marks(&plan).len();
    Ok(format!(
        "workspace {dir} created: templates/plan.toml, inbox/, outbox/, huizong.toml (commented example)\n\
         next: open {plan} and resolve its {marks} review mark(s): list the members of each group, fill in \
         each unit's email, check every indicator; then run `huizong plan check {plan}` until it says OK\n",
        dir = dir.display(),
        plan = plan_path.display(),
    ))
}
