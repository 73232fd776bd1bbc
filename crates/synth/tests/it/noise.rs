//! The arrest feed damages identities in every way linkage must cope with.

use checkpoint_synth::arrests::ArrestSource;
use checkpoint_synth::noise::Noise;
use checkpoint_synth::{Config, Generator};
use std::collections::HashSet;

#[test]
fn every_noise_type_and_every_source_occurs() {
    let generator = Generator::new(Config::new(11, 6000));
    let mut noise = HashSet::new();
    let mut sources = HashSet::new();
    let mut twins_in_people = 0;
    let mut namesakes_in_people = 0;
    for g in generator.iter() {
        twins_in_people += usize::from(g.case.person.twin_of.is_some());
        namesakes_in_people += usize::from(g.case.person.namesake_of.is_some());
        for a in &g.arrests {
            sources.insert(a.source);
            noise.extend(a.noise().iter().copied());
            if a.source == ArrestSource::Reoffence {
                assert_eq!(a.true_person_id, g.case.person.id);
            } else {
                assert!(a.true_person_id.starts_with('S'));
            }
        }
    }
    for kind in Noise::ALL {
        assert!(noise.contains(&kind), "{kind:?} never applied");
    }
    for source in [
        ArrestSource::Reoffence,
        ArrestSource::Stranger,
        ArrestSource::Namesake,
        ArrestSource::Twin,
    ] {
        assert!(sources.contains(&source), "{source:?} never generated");
    }
    assert!(twins_in_people > 10 && namesakes_in_people > 20);
}

#[test]
fn twins_and_namesakes_really_look_alike() {
    let generator = Generator::new(Config::new(3, 3000));
    for g in generator.iter() {
        let p = &g.case.person;
        if p.twin_of.is_some() || p.namesake_of.is_some() {
            let of = p.twin_of.as_ref().or(p.namesake_of.as_ref()).unwrap();
            let other = generator.person(of[1..].parse().unwrap());
            if p.twin_of.is_some() {
                assert_eq!(p.family_name, other.family_name);
                assert_eq!(p.date_of_birth, other.date_of_birth);
            } else {
                assert_eq!(
                    (&p.given_name, &p.family_name),
                    (&other.given_name, &other.family_name)
                );
            }
            assert_ne!(p.id, other.id);
        }
    }
}
