//! End-to-end tests of refresh jobs: determinism, incremental == full, a killed build leaves
//! the previous site intact, and a second concurrent build is refused.

mod common;

use common::*;
use site_gen::site::SiteRecords;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn build(raw: &Path, out: &Path) -> std::process::Output {
    let o = infercat(
        &repo_path(""),
        &[
            "build",
            "--raw",
            raw.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Starts a build in the background (stdout dropped, stderr kept).
fn spawn_build(raw: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_infercat"))
        .args([
            "build",
            "--raw",
            raw.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo_path(""))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The published tree: data and site, following the symlinks.
fn published(out: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut all = snapshot(&out.join("data").canonicalize().unwrap())
        .into_iter()
        .map(|(p, b)| (Path::new("data").join(p), b))
        .collect::<Vec<_>>();
    all.extend(
        snapshot(&out.join("site").canonicalize().unwrap())
            .into_iter()
            .map(|(p, b)| (Path::new("site").join(p), b)),
    );
    all
}

fn assert_same_tree(a: &[(std::path::PathBuf, Vec<u8>)], b: &[(std::path::PathBuf, Vec<u8>)]) {
    let names =
        |t: &[(std::path::PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "same files");
    for ((path, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{} differs", path.display());
    }
}

/// Writes `profiles` synthetic runs of `points` points into `dir`.
fn synth(dir: &Path, profiles: usize, points: usize) {
    let o = infercat(
        &repo_path(""),
        &[
            "synth",
            "--profiles",
            &profiles.to_string(),
            "--points",
            &points.to_string(),
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Bundled data plus some synthetic runs, in a temp raw dir.
fn raw_with_synthetic(tmp: &Path, synthetic: usize) -> std::path::PathBuf {
    let raw = tmp.join("raw");
    copy_tree(&repo_path("data/raw"), &raw);
    let generated = tmp.join("synth");
    synth(&generated, synthetic, 8);
    copy_tree(&generated, &raw.join("synthetic"));
    raw
}

/// How many model pages the published site has.
fn model_pages(out: &Path) -> usize {
    std::fs::read_dir(out.join("site/models")).unwrap().count()
}

#[test]
fn building_twice_gives_a_byte_identical_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = raw_with_synthetic(tmp.path(), 20);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&raw, &a);
    build(&raw, &b);
    let first = published(&a);
    assert_same_tree(&first, &published(&b));
    // Rebuilding in place (everything reused) changes nothing either.
    let again = build(&raw, &a);
    let models = model_pages(&a);
    assert!(models > 5, "{models} model pages");
    assert!(
        stderr(&again).contains(&format!("(72 profiles and {models} model pages reused)")),
        "{}",
        stderr(&again)
    );
    assert_same_tree(&first, &published(&a));
}

/// The site records' file in a generation.
const SITE_RECORDS: &str = "site-records-v2.bin";

/// Edits the site records of `out`'s published generation, as the JSON they serialize to.
fn edit_site_records(out: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let file = out
        .join("site")
        .canonicalize()
        .unwrap()
        .parent()
        .unwrap()
        .join(SITE_RECORDS);
    let records: SiteRecords = postcard::from_bytes(&std::fs::read(&file).unwrap()).unwrap();
    let mut records = serde_json::to_value(records).unwrap();
    edit(&mut records);
    let records: SiteRecords = serde_json::from_value(records).unwrap();
    std::fs::write(&file, postcard::to_allocvec(&records).unwrap()).unwrap();
}

/// Replaces the last `from` in the published `page` of `out` with `to` (as long: every other
/// part stays where its record says). Gives the page's length, where the mark is, and the
/// marked text.
fn mark_last(out: &Path, page: &str, from: &str, to: &str) -> (usize, usize, String) {
    assert_eq!(from.len(), to.len());
    let path = out.join("site").canonicalize().unwrap().join(page);
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.rfind(from).unwrap();
    let marked = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
    std::fs::write(&path, &marked).unwrap();
    (text.len(), at, marked)
}

/// Whether a recorded span (`[offset, length]`) holds byte `at`.
fn holds(span: &serde_json::Value, at: usize) -> bool {
    let start = span[0].as_u64().unwrap() as usize;
    (start..start + span[1].as_u64().unwrap() as usize).contains(&at)
}

/// Points the first of two recorded spans (other than the one holding byte `at`, the mark) at
/// the second's part, and the second past the page's end (`len`).
fn misdirect_and_cut(spans: Vec<&mut serde_json::Value>, at: usize, len: usize) {
    let mut others = spans.into_iter().filter(|span| !holds(span, at));
    let (first, second) = (others.next().unwrap(), others.next().unwrap());
    *first = second.clone();
    second[0] = serde_json::json!(len);
}

/// Bundled data and 20 synthetic runs in `tmp`, built into two outputs: the raw directory, the
/// output to refresh and the full build to compare it with.
fn built_twice(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let raw = raw_with_synthetic(tmp, 20);
    let (out, full) = (tmp.join("out"), tmp.join("full"));
    build(&raw, &out);
    build(&raw, &full);
    (raw, out, full)
}

/// The published trees of `out` and `full` are the same but for the file at `rel`.
fn assert_same_tree_but(out: &Path, full: &Path, rel: &str) {
    let all_but = |out: &Path| {
        published(out)
            .into_iter()
            .filter(|(p, _)| !p.ends_with(rel))
            .collect::<Vec<_>>()
    };
    assert_same_tree(&all_but(out), &all_but(full));
}

/// A refresh copies an unchanged profile's entries in the aggregate JSON files from the
/// published files (an entry marked there comes back marked), and serializes again any entry
/// it cannot read back whole (those past the end of a file cut short) or that is not the
/// profile's own (a record pointing at another's), as a full build does.
#[test]
fn a_refresh_copies_unchanged_aggregate_entries_and_remakes_unreadable_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (raw, out, full) = built_twice(tmp.path());
    let (_, _, marked) = mark_last(
        &out,
        "api/v1/profiles.json",
        "\"page\":\"profiles/",
        "\"page\":\"PROFILES/",
    );
    let index = out.join("site/api/v1/index.json");
    let whole = std::fs::read(&index).unwrap();
    std::fs::write(&index, &whole[..whole.len() / 2]).unwrap();
    // One profile's record points at another's entry: it is made anew, not copied.
    edit_site_records(&out, |records| {
        let profiles = records["profiles"].as_object_mut().unwrap();
        let ids: Vec<String> = profiles.keys().take(2).cloned().collect();
        let other = profiles[&ids[1]]["entries"]["profiles_json"].clone();
        profiles[&ids[0]]["entries"]["profiles_json"] = other;
    });
    build(&raw, &out);
    let api = |out: &Path, file: &str| std::fs::read(out.join("site/api/v1").join(file)).unwrap();
    assert!(
        api(&out, "profiles.json") == marked.as_bytes(),
        "the marked entry is copied, the misdirected one made anew"
    );
    assert!(
        api(&out, "index.json") == api(&full, "index.json"),
        "entries past the cut are made again"
    );
    assert_same_tree_but(&out, &full, "api/v1/profiles.json");
}

/// A refresh copies a workload's section of `frontier.html` from the published page when its
/// profiles are unchanged (a section marked there comes back marked), and draws again any it
/// cannot read back whole (past the file's end) or that is not the workload's own (a record
/// pointing at another's), as a full build does; without records of the sections, all.
#[test]
fn a_refresh_copies_unchanged_frontier_sections_and_draws_unreadable_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (raw, out, full) = built_twice(tmp.path());
    let page = |out: &Path| std::fs::read(out.join("site/frontier.html")).unwrap();
    let sections = String::from_utf8(page(&out))
        .unwrap()
        .matches("<section class=\"workload\"")
        .count();
    assert!(sections >= 3, "{sections} sections");
    let (len, at, marked) = mark_last(&out, "frontier.html", "<h2>Workload: ", "<h2>WORKLOAD: ");
    edit_site_records(&out, |records| {
        let spans = records["frontier"].as_object_mut().unwrap();
        assert_eq!(spans.len(), sections, "a span per section");
        misdirect_and_cut(spans.values_mut().collect(), at, len);
    });
    build(&raw, &out);
    assert!(
        page(&out) == marked.as_bytes(),
        "the marked section is copied, the misdirected and cut ones drawn again"
    );
    assert_same_tree_but(&out, &full, "site/frontier.html");
    edit_site_records(&out, |records| {
        records.as_object_mut().unwrap().remove("frontier");
    });
    build(&raw, &out);
    assert!(page(&out) == page(&full), "drawn whole without records");
}

/// A refresh copies an unchanged profile's row of `index.html` from the published page (a row
/// marked there comes back marked), and renders again any row it cannot read back whole (past
/// the file's end) or that is not the profile's own (a record pointing at another's row).
#[test]
fn a_refresh_copies_unchanged_index_rows_and_renders_unreadable_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (raw, out, full) = built_twice(tmp.path());
    let (len, at, marked) = mark_last(
        &out,
        "index.html",
        "<td class=\"point\">",
        "<td class=\"POINT\">",
    );
    edit_site_records(&out, |records| {
        let profiles = records["profiles"].as_object_mut().unwrap();
        let span = |p: &serde_json::Value| p["entries"]["index_html"].clone();
        assert!(
            profiles.values().filter(|p| holds(&span(p), at)).count() == 1,
            "a row per profile"
        );
        let rows = profiles
            .values_mut()
            .map(|p| &mut p["entries"]["index_html"])
            .collect();
        misdirect_and_cut(rows, at, len);
    });
    build(&raw, &out);
    let page = |out: &Path| std::fs::read(out.join("site/index.html")).unwrap();
    assert!(
        page(&out) == marked.as_bytes(),
        "the marked row is copied, the misdirected and cut ones rendered again"
    );
    assert_same_tree_but(&out, &full, "site/index.html");
}

#[test]
fn an_incremental_refresh_equals_a_full_build_and_reuses_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = raw_with_synthetic(tmp.path(), 30);
    let incremental = tmp.path().join("incremental");
    build(&raw, &incremental);
    // A new run lands: one more synthetic profile (generated apart, then copied in).
    let extra = tmp.path().join("extra");
    synth(&extra, 31, 8);
    copy_tree(
        &extra.join("synthetic-00030"),
        &raw.join("synthetic").join("synthetic-00030"),
    );
    let refreshed = build(&raw, &incremental);
    let err = stderr(&refreshed);
    assert!(
        err.contains("parsed, ") && err.contains(" unchanged"),
        "{err}"
    );
    assert!(
        err.contains("(1 parsed, "),
        "only the new file is parsed: {err}"
    );
    // The new profile's model page is made again; every other model's is reused.
    let others = model_pages(&incremental) - 1;
    assert!(
        err.contains(&format!("(82 profiles and {others} model pages reused)")),
        "{err}"
    );
    let full = tmp.path().join("full");
    build(&raw, &full);
    assert_same_tree(&published(&incremental), &published(&full));
    // The generation a build supersedes stays until the next build, which removes it.
    let generations = |out: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(out.join(".generations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(generations(&incremental), ["g1", "g2"]);
    build(&raw, &incremental);
    assert_eq!(generations(&incremental), ["g2", "g3"]);
}

/// Fixtures of every tool, runs from the wild whose points split into several curves, and
/// broken files: rejected, ignored and curve-noted entries in one report.
fn raw_with_report_entries(tmp: &Path) -> std::path::PathBuf {
    let raw = tmp.join("raw");
    for set in ["raw", "wild", "broken"] {
        copy_tree(&repo_path(&format!("tests/fixtures/{set}")), &raw.join(set));
    }
    raw
}

/// The "rows of N of M models made again" a refresh's ingest line states.
fn models_made_again(err: &str) -> (usize, usize) {
    let (_, after) = err.split_once("rows of ").expect(err);
    let mut words = after.split_whitespace();
    let remade = words.next().and_then(|w| w.parse().ok()).expect(err);
    let of = words.nth(1).and_then(|w| w.parse().ok()).expect(err);
    (remade, of)
}

/// A refresh takes the rows of models whose runs did not change from the published table,
/// and their report entries from the record beside it: a run of one model added, a file of a
/// model whose points split into curves changed, a run that names another model than before,
/// a run removed. Each refresh publishes the tree a full build makes.
#[test]
fn a_refresh_makes_again_only_the_rows_of_models_whose_runs_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = raw_with_report_entries(tmp.path());
    let out = tmp.path().join("out");
    let first = stderr(&build(&raw, &out));
    assert!(
        !first.contains("made again"),
        "nothing to take rows from: {first}"
    );
    let report = std::fs::read_to_string(out.join("data/ingest-report.json")).unwrap();
    for entries in ["\"rejected\": [\n", "\"ignored\": [\n", "\"curves\": [\n"] {
        assert!(
            report.contains(entries),
            "the report has {entries}: {report}"
        );
    }
    let unchanged = stderr(&build(&raw, &out));
    assert_eq!(models_made_again(&unchanged).0, 0, "{unchanged}");
    assert_a_full_builds_tree(tmp.path(), &raw, &out);

    synth(&tmp.path().join("extra"), 1, 8);
    copy_tree(
        &tmp.path().join("extra/synthetic-00000"),
        &raw.join("synthetic-00000"),
    );
    let series = raw.join("wild/vllm-series/results.jsonl");
    let mut lines = std::fs::read_to_string(&series).unwrap();
    lines.push('\n');
    std::fs::write(&series, lines).unwrap();
    let err = stderr(&build(&raw, &out));
    let (remade, of) = models_made_again(&err);
    assert!(remade >= 2 && remade < of, "{err}");
    std::fs::remove_dir_all(tmp.path().join("full")).ok();
    assert_a_full_builds_tree(tmp.path(), &raw, &out);

    let toml = raw.join("raw/sglang/run.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let renamed = text.replacen("model = \"", "model = \"renamed/", 1);
    assert_ne!(renamed, text);
    std::fs::write(&toml, renamed).unwrap();
    std::fs::remove_dir_all(raw.join("raw/genai-perf")).unwrap();
    let err = stderr(&build(&raw, &out));
    let (remade, of) = models_made_again(&err);
    assert!(remade >= 1 && remade < of, "{err}");
    std::fs::remove_dir_all(tmp.path().join("full")).ok();
    assert_a_full_builds_tree(tmp.path(), &raw, &out);
}

/// A `vllm bench sweep` list whose directory holds another run's results depends on that run:
/// such a table is not recorded, so when the other run goes, the next refresh makes every row
/// (the list is then read as points) instead of keeping the list's run as it was.
#[test]
fn a_table_where_a_sweep_list_spans_runs_is_not_taken_rows_from() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    copy_tree(
        &repo_path("tests/fixtures/raw/vllm-sweep"),
        &raw.join("sweep"),
    );
    let inner = raw.join("sweep/setting-1");
    copy_tree(&repo_path("tests/fixtures/raw/vllm-save"), &inner);
    let toml = std::fs::read_to_string(inner.join("run.toml")).unwrap();
    let renamed = toml.replacen("model = \"", "model = \"inner/", 1);
    assert_ne!(renamed, toml);
    std::fs::write(inner.join("run.toml"), renamed).unwrap();
    let out = tmp.path().join("out");
    let first = stderr(&build(&raw, &out));
    assert!(first.contains("1 ignored"), "the list is left out: {first}");
    let generation = out.join("data").canonicalize().unwrap();
    let record = generation.parent().unwrap().join("ingest-record-v1.bin");
    assert!(!record.exists(), "not recorded");
    std::fs::remove_dir_all(&inner).unwrap();
    let err = stderr(&build(&raw, &out));
    assert!(!err.contains("made again"), "every row made: {err}");
    assert!(err.contains("0 ignored"), "the list is read: {err}");
    assert_a_full_builds_tree(tmp.path(), &raw, &out);
}

/// A build writes over the generation two back (nothing points into it) instead of a new one:
/// it keeps the files of profiles made from the same inputs where they lie, replaces the rest
/// and removes what it does not make, ending with the tree a full build makes.
#[test]
fn a_refresh_over_a_stale_generation_keeps_its_files_and_removes_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = raw_with_synthetic(tmp.path(), 30);
    let extra = tmp.path().join("extra");
    synth(&extra, 32, 8);
    let run = |n: usize| format!("synthetic-{n:05}");
    let out = tmp.path().join("out");
    // g1 with run 30, g2 without, then g1 written over as g3 with run 31 instead of 30.
    copy_tree(&extra.join(run(30)), &raw.join("synthetic").join(run(30)));
    build(&raw, &out);
    let stale = out.join(".generations/g1/site");
    let page_of = |site: &Path, marker: &str| {
        std::fs::read_dir(site.join("profiles"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(marker))
            .unwrap()
    };
    let kept = page_of(&stale, "synthetic-00000");
    let gone = page_of(&stale, &run(30));
    // A hard link made or removed changes the file's ctime; one left where it lies keeps it.
    let changed = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p).unwrap();
        (m.ino(), m.ctime(), m.ctime_nsec())
    };
    std::fs::remove_dir_all(raw.join("synthetic").join(run(30))).unwrap();
    build(&raw, &out);
    let before = changed(&kept);
    copy_tree(&extra.join(run(31)), &raw.join("synthetic").join(run(31)));
    let err = stderr(&build(&raw, &out));
    assert!(err.contains("(82 profiles and "), "{err}");
    let site = published_generation_is(&out, "g3");
    assert!(!stale.exists(), "g1 became g3");
    let kept_now = site.join(kept.strip_prefix(&stale).unwrap());
    assert_eq!(
        changed(&kept_now),
        before,
        "kept in place, not linked again"
    );
    assert!(!site.join(gone.strip_prefix(&stale).unwrap()).exists());
    assert_a_full_builds_tree(tmp.path(), &raw, &out);
}

/// The published site lies in generation `name`; its directory.
fn published_generation_is(out: &Path, name: &str) -> std::path::PathBuf {
    let site = out.join("site").canonicalize().unwrap();
    let expected = Path::new(".generations").join(name).join("site");
    assert!(site.ends_with(&expected), "{}", site.display());
    site
}

/// `out` publishes the tree a full build of `raw` into an empty directory makes.
fn assert_a_full_builds_tree(tmp: &Path, raw: &Path, out: &Path) {
    let full = tmp.join("full");
    build(raw, &full);
    assert_same_tree(&published(out), &published(&full));
}

/// A generation whose records are gone (a build died or failed while writing over it) is
/// never taken over again: it is pruned, and the refresh fills a new generation with links to
/// the published site instead.
#[test]
fn a_generation_without_records_is_pruned_not_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = raw_with_synthetic(tmp.path(), 10);
    let out = tmp.path().join("out");
    build(&raw, &out);
    build(&raw, &out);
    let first = out.join(".generations/g1");
    std::fs::remove_file(first.join(SITE_RECORDS)).unwrap();
    std::fs::write(first.join("site/junk.html"), "junk").unwrap();
    let err = stderr(&build(&raw, &out));
    assert!(err.contains("(62 profiles and "), "{err}");
    published_generation_is(&out, "g3");
    assert!(!first.exists(), "pruned");
    assert_a_full_builds_tree(tmp.path(), &raw, &out);
}

/// The count before `word` in a build's ingest line ("3 parsed, 9 unchanged").
fn count_before(err: &str, word: &str) -> usize {
    let words: Vec<&str> = err.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[1].trim_end_matches([',', ')']) == word)
        .and_then(|w| w[0].trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no count before `{word}` in {err}"))
}

/// A file written again in place, at the same length, is read and parsed again however old
/// the stamps of the others are, and a run.toml so written is read again; the rest are not
/// read at all.
#[test]
fn a_refresh_reads_again_only_files_written_since() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = raw_with_synthetic(tmp.path(), 5);
    // Older than a timestamp tick when the build starts, so their stamps are kept.
    std::thread::sleep(Duration::from_millis(300));
    let out = tmp.path().join("out");
    build(&raw, &out);
    let second = stderr(&build(&raw, &out));
    let files = |err: &str| (count_before(err, "parsed"), count_before(err, "unchanged"));
    let (parsed, unchanged) = files(&second);
    assert_eq!(parsed, 0, "{second}");
    // Where stamps do not apply (a file system without real change times), every file is read:
    // only what the refresh makes is checked.
    let stamps_apply = pipeline::file_stamps::StampRule::for_root(&raw).applies();
    if !stamps_apply {
        eprintln!(
            "stamps do not apply to {}: not counting reads",
            raw.display()
        );
    }
    assert!(
        !stamps_apply || second.contains(&format!(", {unchanged} of them not read again;")),
        "every unchanged file is known by its stamp: {second}"
    );

    // The same length, the same modification time: only the change time tells.
    let file = raw.join("synthetic/synthetic-00001/results.jsonl");
    let before = std::fs::metadata(&file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("\"completed\": 1", "\"completed\": 2", 1);
    assert_ne!(text, edited);
    std::fs::write(&file, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    // A run.toml rewritten at the same length: its kept text must not be used.
    let toml = raw.join("synthetic/synthetic-00003/run.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let renamed = text.replacen("model-003", "model-009", 1);
    assert_ne!(text, renamed);
    std::fs::write(&toml, renamed).unwrap();
    let third = stderr(&build(&raw, &out));
    assert_eq!(files(&third), (1, unchanged - 1), "{third}");
    assert!(
        !stamps_apply || third.contains(&format!(", {} of them not read again;", unchanged - 1)),
        "{third}"
    );
    let full = tmp.path().join("full");
    build(&raw, &full);
    assert_same_tree(&published(&out), &published(&full));
}

/// A parse cache entry whose points are damaged is left out when the cache loads (their
/// checksum no longer holds): its file is parsed again and the cache written whole without the
/// damage, never a file rejected or its points taken as they read.
#[test]
fn a_cached_parse_whose_points_are_damaged_is_parsed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    synth(&raw, 4, 8);
    let out = tmp.path().join("out");
    build(&raw, &out);
    // Each entry's frame (a little-endian u32 length, then its body) ends in its points: the
    // last byte of the first two entries is flipped, past the head that says what they are.
    let cache = out.join(".cache/parsed-v4.bin");
    let mut bytes = std::fs::read(&cache).unwrap();
    let mut at = 0;
    let mut frames = 0;
    while at + 4 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 4 + len;
        if (1..=2).contains(&frames) {
            bytes[end - 1] ^= 0xff;
        }
        frames += 1;
        at = end;
    }
    assert_eq!(
        (at, frames),
        (bytes.len(), 5),
        "a generator and four entries"
    );
    std::fs::write(&cache, bytes).unwrap();
    // Every run names another model: every run is made again from its unchanged files.
    for run in std::fs::read_dir(&raw).unwrap() {
        let toml = run.unwrap().path().join("run.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        let renamed = text.replacen("model = \"", "model = \"renamed/", 1);
        assert_ne!(renamed, text);
        std::fs::write(&toml, renamed).unwrap();
    }
    let err = stderr(&build(&raw, &out));
    assert_eq!(count_before(&err, "parsed"), 2, "the damaged two: {err}");
    assert!(err.contains(", 0 rejected files"), "{err}");
    assert_a_full_builds_tree(tmp.path(), &raw, &out);
    let again = stderr(&build(&raw, &out));
    assert_eq!(
        count_before(&again, "parsed"),
        0,
        "the cache was mended: {again}"
    );
}

#[test]
fn a_killed_build_leaves_the_previous_site_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&repo_path("data/raw"), &out);
    let before = published(&out);
    let big = tmp.path().join("big");
    synth(&big, 1500, 10);
    // Killed as each stage starts, found by the progress lines (plain lines off a terminal),
    // not at fixed times: on a fast machine a fixed time came after the build had finished.
    // (stage, the line it starts after: its start and end)
    let stages = [
        ("parsing", "ingest: 0/", ""),
        ("making the table", "ingest: ", " done"),
        ("starting the site", "analyze: ", ""),
        ("rendering the pages", "site: 0/", ""),
    ];
    for (stage, start, end) in stages {
        let mut child = spawn_build(&big, &out);
        let lines = std::io::BufReader::new(child.stderr.take().unwrap());
        let seen = std::io::BufRead::lines(lines)
            .map_while(Result::ok)
            .any(|l| l.starts_with(start) && l.ends_with(end));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        assert!(
            seen && !finished,
            "the big build should be killed while {stage}"
        );
        assert_same_tree(&before, &published(&out));
    }
    // The next build takes over the dead build's lock and clears the killed builds' partial
    // generations; the generation it supersedes stays until the build after it.
    build(&repo_path("data/raw"), &out);
    assert_same_tree(&before, &published(&out));
    assert_eq!(
        std::fs::read_dir(out.join(".generations")).unwrap().count(),
        2
    );
}

#[test]
fn a_second_concurrent_build_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let big = tmp.path().join("big");
    synth(&big, 800, 10);
    let first = spawn_build(&big, &out);
    // Wait until the first build holds the lock.
    let started = Instant::now();
    while std::fs::read_to_string(out.join(".lock"))
        .map(|s| s.is_empty())
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "first build never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = infercat(
        &repo_path(""),
        &["build", "--raw", "data/raw", "--out", out.to_str().unwrap()],
    );
    let out_first = first.wait_with_output().unwrap();
    assert!(
        out_first.status.success(),
        "{}",
        String::from_utf8_lossy(&out_first.stderr)
    );
    assert_eq!(second.status.code(), Some(1));
    assert!(
        stderr(&second).contains("another infercat build (pid"),
        "{}",
        stderr(&second)
    );
    // The first build's result is what got published.
    assert!(
        std::fs::read_to_string(out.join("data/ingest-report.json"))
            .unwrap()
            .contains("\"profiles\": 800")
    );
}

#[test]
fn progress_is_plain_lines_off_a_terminal_with_a_final_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let o = build(&repo_path("data/raw"), &tmp.path().join("out"));
    let err = stderr(&o);
    assert!(
        err.contains("ingest: 0/") && err.contains("site: 52/52 done"),
        "{err}"
    );
    assert!(
        err.contains("done: 25 runs, 193 points, 0 rejected files; 52 profiles"),
        "{err}"
    );
}

#[test]
fn stages_run_apart_publish_without_touching_the_live_generation() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&repo_path("data/raw"), &out);
    let before = published(&out);
    let live_profiles = std::fs::read(out.join("data/profiles.parquet")).unwrap();
    let o = infercat(
        &repo_path(""),
        &[
            "analyze",
            "--out",
            out.to_str().unwrap(),
            "--output-input-cost-ratio",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The old generation's table was not rewritten through a link; the new one differs.
    assert_ne!(
        std::fs::read(out.join("data/profiles.parquet")).unwrap(),
        live_profiles
    );
    let o = infercat(&repo_path(""), &["site", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = infercat(&repo_path(""), &["analyze", "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    let o = infercat(&repo_path(""), &["site", "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert_same_tree(&before, &published(&out));
}
