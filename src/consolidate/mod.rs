//! Consolidation: the report model built from the checked returns (model.rs); the workbooks only draw it.

pub mod county_rows;
pub mod cover;
pub mod feedback;
pub mod long_sheet;
pub mod model;
pub mod report_json;
pub mod submission_rows;
pub mod workbook;
