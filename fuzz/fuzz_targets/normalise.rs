//! The linkage normalisers (`normalise_name`, `normalise_text`, `normalise_identifier`,
//! `UkPostcode::parse`) on arbitrary text. Beyond "no panic": each is idempotent (a value read
//! back from storage must not drift) and produces only the characters it promises.
#![no_main]

use checkpoint_linkage::normalise::{
    UkPostcode, normalise_identifier, normalise_name, normalise_text,
};
use libfuzzer_sys::fuzz_target;

fn is_folded(s: &str) -> bool {
    !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.bytes()
            .all(|b| b == b' ' || b.is_ascii_lowercase() || b.is_ascii_digit())
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);

    let name = normalise_name(&raw);
    assert!(is_folded(&name), "{raw:?} -> {name:?}");
    assert_eq!(
        normalise_name(&name),
        name,
        "normalise_name not idempotent on {raw:?}"
    );
    // A title never erases a name: something alphanumeric in, something out.
    if normalise_text(&raw).is_empty() {
        assert!(name.is_empty());
    } else {
        assert!(!name.is_empty(), "{raw:?} lost its name");
    }

    let text = normalise_text(&raw);
    assert!(is_folded(&text), "{raw:?} -> {text:?}");
    assert_eq!(
        normalise_text(&text),
        text,
        "normalise_text not idempotent on {raw:?}"
    );

    let id = normalise_identifier(&raw);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{id:?}"
    );
    assert_eq!(normalise_identifier(&id), id);

    if let Some(postcode) = UkPostcode::parse(&raw) {
        assert_eq!(
            UkPostcode::parse(&postcode.full).as_ref(),
            Some(&postcode),
            "{raw:?}"
        );
        assert!(postcode.same(&postcode));
        let (area, district, sector) = (postcode.area(), postcode.district(), postcode.sector());
        if let (Some(a), Some(d), Some(s)) = (area, district, sector) {
            assert!(d.starts_with(a) && s.starts_with(d) && postcode.full.starts_with(s));
            assert!(postcode.same_area(&postcode) && postcode.same_sector(&postcode));
        }
    } else {
        assert!(normalise_identifier(&raw).is_empty());
    }
});
