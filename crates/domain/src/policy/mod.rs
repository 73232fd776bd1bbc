//! Eligibility policies: placeholder while the engine is written.
