//! The HTML interface: form mechanics over plain HTTP ([`forms`]: error summaries, values
//! kept, CSRF, 409) and whole journeys in a real headless Chromium ([`chrome`]).

mod chrome;
mod clerical;
mod forms;
pub(crate) mod support;
