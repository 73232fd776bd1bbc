//! Frequency measures in the Justice Data Lab's phrasing, "for every 100 people".

/// `count` per 100 `people`; `None` when there are no people.
pub fn per_hundred(count: f64, people: u64) -> Option<f64> {
    (people > 0).then(|| 100.0 * count / people as f64)
}
