//! A short string stored inline: normalised names and identifiers are almost always under 23
//! bytes, and keeping them inside the record (rather than behind a pointer each) keeps a
//! record's values in a few adjacent cache lines. Scoring random pairs (u estimation) and big
//! blocks is bound by memory latency, so this is the difference between one cache miss per
//! record and one per field.

use std::fmt;

const INLINE: usize = 22;

#[derive(Clone, Eq)]
pub enum SmallStr {
    Inline(u8, [u8; INLINE]),
    Heap(Box<str>),
}

impl SmallStr {
    pub fn new(text: &str) -> SmallStr {
        if text.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..text.len()].copy_from_slice(text.as_bytes());
            SmallStr::Inline(text.len() as u8, buf)
        } else {
            SmallStr::Heap(text.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            SmallStr::Inline(len, buf) => &buf[..usize::from(*len)],
            SmallStr::Heap(text) => text.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            SmallStr::Inline(len, buf) => {
                std::str::from_utf8(&buf[..usize::from(*len)]).expect("built from a str")
            }
            SmallStr::Heap(text) => text,
        }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for SmallStr {
    /// Inline values are zero-padded, so equal strings have equal buffers: compare them as
    /// machine words (this runs for every exact-level test) rather than calling memcmp.
    fn eq(&self, other: &SmallStr) -> bool {
        match (self, other) {
            (SmallStr::Inline(a_len, a), SmallStr::Inline(b_len, b)) => {
                let word = |buf: &[u8; INLINE], at: usize| {
                    u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
                };
                a_len == b_len
                    && word(a, 0) == word(b, 0)
                    && word(a, 8) == word(b, 8)
                    && a[16..] == b[16..]
            }
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl fmt::Debug for SmallStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_short_and_long() {
        for s in [
            "",
            "smith",
            "abcdefghijklmnopqrstuv",
            "abcdefghijklmnopqrstuvw",
        ] {
            assert_eq!(SmallStr::new(s).as_str(), s);
        }
        assert!(matches!(
            SmallStr::new("abcdefghijklmnopqrstuvw"),
            SmallStr::Heap(_)
        ));
        assert_eq!(size_of::<SmallStr>(), 24);
    }
}
