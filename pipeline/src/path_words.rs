//! What a result file's path says about the deployment it measured: the path's words in
//! lowercase (`tp4`, `1p3d`, `baseline`), less those that change between repeats of one
//! configuration (counters, dates and times, hashes, UUIDs). `profile_identity` reads them
//! when no setting inside the files tells points at one load apart.

/// Words that, followed by a number, count repeats of one configuration (`run1`, `trial2`).
const COUNTERS: &[&str] = &[
    "r",
    "run",
    "rep",
    "repeat",
    "trial",
    "iter",
    "iteration",
    "attempt",
    "try",
    "seed",
    "round",
    "pass",
    "stage",
    "sample",
];

/// Extensions result files carry, left out of the last component's words.
const EXTENSIONS: &[&str] = &["json", "jsonl", "csv", "yaml", "yml", "txt"];

/// Words that name a copy of a run, not another deployment (`rate4_rerun.json`).
const COPIES: &[&str] = &["rerun", "retry", "copy", "backup", "bak"];

/// Month names, which followed by a number are a date (`nov28`).
const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A number of at most this many digits right after a word belongs to it (`tp_4` is `tp4`,
/// `max_num_seqs=8` is `seqs8`); a longer one is a date or a time.
const SETTING_DIGITS: usize = 5;

/// The words of `path` that can name a deployment, in path order, each once.
pub fn deployment_words(path: &str) -> Vec<String> {
    let stem = match path.rsplit_once('.') {
        Some((stem, ext))
            if EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) && !stem.is_empty() =>
        {
            stem
        }
        _ => path,
    };
    let words: Vec<String> = stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let in_uuid = uuid_words(&words);
    let mut joined: Vec<String> = Vec::new();
    let mut after_word = false;
    for (i, word) in words.into_iter().enumerate() {
        if in_uuid[i] {
            after_word = false;
            continue;
        }
        let number = word.bytes().all(|b| b.is_ascii_digit());
        if number
            && after_word
            && word.len() <= SETTING_DIGITS
            && let Some(last) = joined.last_mut()
        {
            last.push_str(&word);
            after_word = false;
            continue;
        }
        after_word = word.bytes().all(|b| b.is_ascii_alphabetic());
        joined.push(word);
    }
    let mut kept: Vec<String> = Vec::new();
    for word in joined {
        if !is_volatile(&word) && !kept.contains(&word) {
            kept.push(word);
        }
    }
    kept
}

/// Whether a value names one result rather than a configuration: a result file (`….json`, or a
/// `….log` beside one) or a run stamped with its date (eight digits in a row, as `20250915`).
pub fn names_a_run(value: &str) -> bool {
    let extension = value.rsplit_once('.').is_some_and(|(_, ext)| {
        let ext = ext.to_ascii_lowercase();
        EXTENSIONS.contains(&ext.as_str()) || ext == "log"
    });
    let mut run = 0;
    let dated = value.bytes().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run >= 8
    });
    extension || dated
}

/// Which words are parts of a UUID (five hex words of 8, 4, 4, 4 and 12 characters).
fn uuid_words(words: &[String]) -> Vec<bool> {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let mut marked = vec![false; words.len()];
    for start in 0..words.len().saturating_sub(SHAPE.len() - 1) {
        let fits = SHAPE.iter().enumerate().all(|(k, &len)| {
            let w = &words[start + k];
            w.len() == len && w.chars().all(|c| c.is_ascii_hexdigit())
        });
        if fits {
            marked[start..start + SHAPE.len()].fill(true);
        }
    }
    marked
}

/// A word that changes between repeats of one configuration: a number (a counter, a date, a
/// time), an ISO date-time's `23t03`, a hash of seven or more hex digits, a counter such as
/// `run2`, a date such as `nov28`, or a copy's name (`rerun`).
fn is_volatile(word: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(word)
        || word
            .split_once('t')
            .is_some_and(|(a, b)| digits(a) && digits(b))
        || (word.len() >= 7
            && word.bytes().all(|b| b.is_ascii_hexdigit())
            && word.bytes().any(|b| b.is_ascii_digit()))
        || COUNTERS
            .iter()
            .chain(MONTHS)
            .any(|c| word.strip_prefix(c).is_some_and(digits))
        || COPIES.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(path: &str) -> Vec<String> {
        deployment_words(path)
    }

    #[test]
    fn deployment_words_are_kept_in_path_order() {
        assert_eq!(
            words("dstack-pd-ratio/1p3d_conc128_in2048_out128_20250923_033738.json"),
            [
                "dstack", "pd", "ratio", "1p3d", "conc128", "in2048", "out128"
            ]
        );
        assert_eq!(
            words("bench/run_1_TP4_DP2_CTX1024_C100.json"),
            ["bench", "tp4", "dp2", "ctx1024", "c100"]
        );
    }

    #[test]
    fn what_changes_between_repeats_is_left_out() {
        for (a, b) in [
            ("sweep/SERVE--x=4/run=0.json", "sweep/SERVE--x=4/run=1.json"),
            (
                "ip/stage_0_lifecycle_metrics.json",
                "ip/stage_2_lifecycle_metrics.json",
            ),
            (
                "r/seed-1/ol-rate-26.20/a.json",
                "r/seed-2/ol-rate-26.20/a.json",
            ),
            ("r/trial3.json", "r/trial4.json"),
            ("q4/c4_r1.json", "q4/c4_r2.json"),
            ("r/rate4.json", "r/rate4_rerun.json"),
            ("r/bench_nov28.json", "r/bench_nov29.json"),
            ("r/run_1/a.json", "r/run_2/a.json"),
            (
                "r/out-2025-09-23T03:37:38.json",
                "r/out-2025-09-24T11:02:00.json",
            ),
            ("r/res_3f9a2c1d0e.json", "r/res_77b01aa9f3.json"),
            (
                "s/stream_1dcc9951-0a25-4baf-89d4-cf1c8c46878d_summary.json",
                "s/stream_7accf6e6-e05b-4081-aeaf-9a504641145f_summary.json",
            ),
        ] {
            assert_eq!(words(a), words(b), "{a} / {b}");
        }
    }

    #[test]
    fn a_setting_written_apart_from_its_number_stays_one_word() {
        assert_eq!(words("r/tp_4.json"), ["r", "tp4"]);
        assert_ne!(words("r/tp_4.json"), words("r/tp_8.json"));
        assert_eq!(
            words("s/SERVE--max_num_seqs=8-BENCH--rate=16/run=0.json"),
            ["s", "serve", "max", "num", "seqs8", "bench", "rate16"]
        );
        assert_eq!(
            words("v/openai-concurrency1-master-20260813-124514.json"),
            ["v", "openai", "concurrency1", "master"],
            "a date or a time stays a number"
        );
    }

    #[test]
    fn short_hex_looking_words_and_names_stay() {
        assert_eq!(
            words("m/bf16_fp8/part1.json"),
            ["m", "bf16", "fp8", "part1"]
        );
        assert_eq!(words("notes.md"), ["notes", "md"]);
    }
}
