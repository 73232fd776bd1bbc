//! The HTML interface: form mechanics over plain HTTP ([`forms`]: error summaries, values
//! kept, CSRF, 409) and whole journeys in a real headless Chromium ([`chrome`]).

mod case_forms;
mod chrome;
mod clerical;
mod forms;
mod lists;
pub(crate) mod support;
