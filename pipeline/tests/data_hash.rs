//! A profile's data snapshot (`Profile::data_hash`) decides whether a refresh reuses its page
//! and manifests: it must stay the same for the same data and change with any of it.

use pipeline::analysis::{Profile, group_profiles};
use std::collections::BTreeSet;
use std::path::Path;

fn bundled_profiles() -> Vec<Profile> {
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw");
    group_profiles(&pipeline::ingest::ingest(&raw).unwrap().rows)
}

#[test]
fn every_bundled_profile_has_its_own_stable_snapshot() {
    let profiles = bundled_profiles();
    assert!(profiles.len() > 20);
    let hashes: BTreeSet<String> = profiles.iter().map(Profile::data_hash).collect();
    assert_eq!(
        hashes.len(),
        profiles.len(),
        "no two profiles share a snapshot"
    );
    for p in &profiles {
        assert_eq!(p.data_hash(), p.clone().data_hash(), "profile {}", p.id);
        assert_eq!(p.data_hash().len(), 12);
    }
}

#[test]
fn a_snapshot_changes_with_a_figure_a_setting_or_a_declaration() {
    let profile = bundled_profiles().swap_remove(0);
    let before = profile.data_hash();
    let changed = |edit: &dyn Fn(&mut Profile)| {
        let mut p = profile.clone();
        edit(&mut p);
        p.data_hash()
    };
    let last = profile.points.len() - 1;
    assert_ne!(
        changed(&|p| p.points[last].output_tokens_per_s *= 1.0 + 1e-9),
        before
    );
    assert_ne!(
        changed(&|p| {
            let ttft = p.points[0].ttft.p50().unwrap_or(1.0);
            p.points[0].ttft.set_p50(Some(ttft + 1.0));
        }),
        before
    );
    assert_ne!(
        changed(&|p| p.points[0]
            .fields
            .insert("max_concurrency".into(), "7".into())),
        before
    );
    assert_ne!(changed(&|p| p.server_args.push("--x".into())), before);
    assert_ne!(changed(&|p| p.notes = Some("n".into())), before);
    // The same text moved from one optional declaration to another is a change too.
    let moved = |notes: Option<&str>, image: Option<&str>| {
        let mut p = profile.clone();
        p.notes = notes.map(str::to_string);
        p.image = image.map(str::to_string);
        p.data_hash()
    };
    assert_ne!(moved(Some("x"), None), moved(None, Some("x")));
}
