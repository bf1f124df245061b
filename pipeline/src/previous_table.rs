//! What an ingest takes from the table the previous build published. A record published with
//! that table, in its generation, says what it was made from: each run's inputs (its run.toml and
//! files, by content hash), the models its run.toml can give rows to, what the rows stage
//! reported of its files, and each model's curve notes. A model none of whose runs changed
//! keeps its rows from that table; only the other models' rows are made again, and the two
//! are merged in curve order. Profile identities never look across models
//! (`profile_identity::assign_by_model`), so the kept rows are the rows a full build would
//! make.

use crate::error::PipelineError;
use crate::report::{FileIssue, IngestReport};
use crate::schema;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What one ingest's table was made from.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestRecord {
    /// The pipeline's source fingerprint: other code may make other rows.
    pub pipeline: String,
    /// The raw root as the report shows it (every path in the report starts with it).
    pub raw_root: String,
    /// The data snapshot of the table (`IngestReport::snapshot`).
    pub snapshot: String,
    /// Each run by its directory's path from the raw root.
    pub runs: BTreeMap<String, RunRecord>,
    /// The curve notes of each model's profiles.
    pub model_notes: BTreeMap<String, Vec<FileIssue>>,
}

/// One run as the record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// A digest of its run.toml and of every file read in it, each with its path.
    pub inputs: String,
    /// The models its run.toml names (`[profile]` and every `[[series]]`).
    pub models: BTreeSet<String>,
    /// What the rows stage reported of its files.
    pub report: ReportPart,
}

/// The entries one run's files added to the report while their rows were made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportPart {
    pub rejected: Vec<FileIssue>,
    pub ignored: Vec<FileIssue>,
    pub curves: Vec<FileIssue>,
    pub files_read: usize,
}

impl ReportPart {
    /// Adds this part's entries to `report`.
    pub fn add_to(&self, report: &mut IngestReport) {
        report.rejected.extend(self.rejected.iter().cloned());
        report.ignored.extend(self.ignored.iter().cloned());
        report.curves.extend(self.curves.iter().cloned());
        report.files_read += self.files_read;
    }
}

/// A run of this ingest: its inputs' digest and the models it can give rows to.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInputs {
    pub inputs: String,
    pub models: BTreeSet<String>,
}

/// The previous build's record and its table.
#[derive(Debug)]
pub struct Previous {
    pub record: IngestRecord,
    pub table: DataFrame,
    /// Where the table's CSV copy is (its kept rows' lines are copied from it, `csv_copy`).
    pub csv: PathBuf,
}

/// What a merge keeps of the previous table: the table, its CSV copy, and which models are
/// made again instead.
#[derive(Debug)]
pub struct Kept {
    pub table: DataFrame,
    pub csv: PathBuf,
    pub plan: Plan,
}

impl Previous {
    /// The record at `record_path` and the table of the published `data_dir`, when the record
    /// was made by this pipeline's code from `raw_root` for that very table (its report's
    /// snapshot and raw root) and the table reads back with the columns this code writes.
    /// Anything else is no previous build to take rows from: the ingest then makes every row.
    pub fn load(record_path: &Path, data_dir: &Path, raw_root: &Path) -> Option<Self> {
        let record: IngestRecord = postcard::from_bytes(&std::fs::read(record_path).ok()?).ok()?;
        if record.pipeline != crate::SOURCE_FINGERPRINT
            || record.raw_root != raw_root.display().to_string()
        {
            return None;
        }
        let report: IngestReport = serde_json::from_slice(
            &std::fs::read(data_dir.join(crate::storage::REPORT_FILE)).ok()?,
        )
        .ok()?;
        if report.snapshot != record.snapshot || report.raw_root != record.raw_root {
            return None;
        }
        let table = schema::read_parquet(&data_dir.join(crate::storage::BENCHMARKS_FILE)).ok()?;
        let expected = schema::to_dataframe(&[]).ok()?;
        let csv = data_dir.join(crate::storage::csv_copy_of(crate::storage::BENCHMARKS_FILE));
        (table.schema() == expected.schema()).then_some(Self { record, table, csv })
    }
}

/// Writes `record` to `path` (atomically: a build killed meanwhile leaves the old one or none).
pub fn save(record: &IngestRecord, path: &Path) -> Result<(), PipelineError> {
    let bytes = postcard::to_allocvec(record).map_err(|e| PipelineError::Table {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    crate::output_dir::replace_file(path, &bytes)
}

/// Which models and runs an ingest makes rows for when it takes the rest from a previous
/// table.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Models a changed, new or removed run names: their rows are all made again.
    pub models: BTreeSet<String>,
    /// Runs naming any of those models: every file of theirs is made into rows (and only the
    /// rows of `models` kept).
    pub runs: BTreeSet<String>,
}

impl Plan {
    /// The plan of an ingest whose runs are `runs`, against `record`.
    pub fn against(record: &IngestRecord, runs: &BTreeMap<String, RunInputs>) -> Self {
        let mut models = BTreeSet::new();
        // A new or changed run is made again even where it names no model: its report entries
        // are new too.
        let mut changed = BTreeSet::new();
        for (dir, now) in runs {
            match record.runs.get(dir) {
                Some(before) if before.inputs == now.inputs && before.models == now.models => {}
                before => {
                    models.extend(before.into_iter().flat_map(|b| b.models.iter().cloned()));
                    models.extend(now.models.iter().cloned());
                    changed.insert(dir.clone());
                }
            }
        }
        for (dir, before) in &record.runs {
            if !runs.contains_key(dir) {
                models.extend(before.models.iter().cloned());
            }
        }
        let runs = runs
            .iter()
            .filter(|(dir, r)| changed.contains(*dir) || !r.models.is_disjoint(&models))
            .map(|(dir, _)| dir.clone())
            .collect();
        Self { models, runs }
    }

    /// How many of the models `runs` name have their rows made again, of how many.
    pub fn models_made_again(&self, runs: &BTreeMap<String, RunInputs>) -> (usize, usize) {
        let named: BTreeSet<&String> = runs.values().flat_map(|r| &r.models).collect();
        let again = named.iter().filter(|m| self.models.contains(**m)).count();
        (again, named.len())
    }

    /// Whether the run at `dir` is made into rows again.
    pub fn remakes_run(&self, dir: &str) -> bool {
        self.runs.contains(dir)
    }
}

/// Adds to `report` each run's entries of the rows stage and each model's curve notes: those
/// made now (`made`, put to their runs as `parts`, and `notes`), and, for the runs and models
/// a plan leaves alone, those the previous record kept. Returns the record of this table, or
/// none where an entry could not be put to its run.
pub(crate) fn settle_report(
    report: &mut IngestReport,
    runs: BTreeMap<String, RunInputs>,
    taken_from: Option<(&Plan, &IngestRecord)>,
    made: IngestReport,
    parts: Option<BTreeMap<String, ReportPart>>,
    notes: Vec<(String, Vec<FileIssue>)>,
) -> Option<IngestRecord> {
    // Some for a run the plan leaves alone: its part as the record kept it (a run the record
    // lacks is always made again, so that is only ever there).
    let kept_part = |dir: &str| {
        let (plan, before) = taken_from?;
        (!plan.remakes_run(dir)).then(|| before.runs.get(dir).map(|r| r.report.clone()))
    };
    let mut record = IngestRecord {
        pipeline: crate::SOURCE_FINGERPRINT.to_string(),
        raw_root: report.raw_root.clone(),
        snapshot: report.snapshot.clone(),
        ..Default::default()
    };
    let mut complete = parts.is_some();
    if parts.is_none() {
        ReportPart {
            rejected: made.rejected,
            ignored: made.ignored,
            curves: made.curves,
            files_read: made.files_read,
        }
        .add_to(report);
    }
    for (dir, inputs) in runs {
        let part = match (kept_part(&dir), &parts) {
            (Some(kept), _) => kept,
            (None, Some(parts)) => Some(parts.get(&dir).cloned().unwrap_or_default()),
            // Its entries are among those of `made`, added whole.
            (None, None) => None,
        };
        let Some(part) = part else {
            complete = false;
            continue;
        };
        part.add_to(report);
        record.runs.insert(
            dir,
            RunRecord {
                inputs: inputs.inputs,
                models: inputs.models,
                report: part,
            },
        );
    }
    let mut model_notes: BTreeMap<String, Vec<FileIssue>> = notes.into_iter().collect();
    if let Some((plan, before)) = taken_from {
        for (model, notes) in &before.model_notes {
            if !plan.models.contains(model) {
                model_notes.insert(model.clone(), notes.clone());
            }
        }
    }
    for notes in model_notes.values() {
        report.curves.extend(notes.iter().cloned());
    }
    record.model_notes = model_notes;
    complete.then_some(record)
}

/// A stretch of consecutive rows of a merged table, from one of its two sources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stretch {
    /// Rows `start..start + len` of the previous table.
    Kept { start: usize, len: usize },
    /// Rows `start..start + len` of the table made again.
    Made { start: usize, len: usize },
}

/// A merged table and where its rows came from.
#[derive(Debug)]
pub struct Merged {
    pub table: DataFrame,
    /// The table's rows in order, as stretches of the previous table and of `made`.
    pub layout: Vec<Stretch>,
    /// The rows made again (the frame shares its columns with the merge's input).
    pub made: DataFrame,
}

/// The previous table's rows of the models `plan` leaves alone and the rows made again
/// (`made`, a table in curve order of the other models), merged in curve order: curves in
/// profile-id order, each whole. The two hold no profile in common, since a profile's id
/// names its model.
pub fn merge(previous: &DataFrame, plan: &Plan, made: DataFrame) -> PolarsResult<Merged> {
    let layout = merged_layout(previous, plan, &made)?;
    let mut parts = layout.iter().map(|s| match *s {
        Stretch::Kept { start, len } => previous.slice(start as i64, len),
        Stretch::Made { start, len } => made.slice(start as i64, len),
    });
    let Some(mut table) = parts.next() else {
        return Ok(Merged {
            table: made.clear(),
            layout,
            made,
        });
    };
    for part in parts {
        table.vstack_mut_owned(part)?;
    }
    // One chunk, as a full build's table: the Parquet writer places its row groups by the
    // chunks of a table longer than one group. A column a core.
    table.rechunk_mut_par();
    Ok(Merged {
        table,
        layout,
        made,
    })
}

/// The stretches of kept and made curves in curve order, each as long as it runs on.
fn merged_layout(
    previous: &DataFrame,
    plan: &Plan,
    made: &DataFrame,
) -> PolarsResult<Vec<Stretch>> {
    let kept = kept_curves(previous, &plan.models)?;
    let made_curves = curves_of(made)?;
    let mut stretches: Vec<Stretch> = Vec::new();
    let (mut k, mut m) = (kept.iter().peekable(), made_curves.iter().peekable());
    loop {
        let take_kept = match (k.peek(), m.peek()) {
            (Some(a), Some(b)) => a.0 <= b.0,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_kept {
            k.next().map(|c| Stretch::Kept {
                start: c.1,
                len: c.2,
            })
        } else {
            m.next().map(|c| Stretch::Made {
                start: c.1,
                len: c.2,
            })
        };
        if let Some(next) = next {
            push_joined(&mut stretches, next);
        }
    }
    Ok(stretches)
}

/// Adds `next` to `stretches`, joined to the last one where it continues it.
fn push_joined(stretches: &mut Vec<Stretch>, next: Stretch) {
    match (stretches.last_mut(), next) {
        (
            Some(Stretch::Kept { start, len }),
            Stretch::Kept {
                start: s,
                len: more,
            },
        )
        | (
            Some(Stretch::Made { start, len }),
            Stretch::Made {
                start: s,
                len: more,
            },
        ) if *start + *len == s => *len += more,
        _ => stretches.push(next),
    }
}

/// A table's curves: profile id, first row and length, in table order.
fn curves_of(df: &DataFrame) -> PolarsResult<Vec<(&str, usize, usize)>> {
    let ids = df.column("profile_id")?.str()?;
    let mut curves: Vec<(&str, usize, usize)> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let id = id.unwrap_or_default();
        match curves.last_mut() {
            Some(last) if last.0 == id => last.2 += 1,
            _ => curves.push((id, i, 1)),
        }
    }
    Ok(curves)
}

/// The curves of `df` whose model is not among `remade`.
fn kept_curves<'a>(
    df: &'a DataFrame,
    remade: &BTreeSet<String>,
) -> PolarsResult<Vec<(&'a str, usize, usize)>> {
    let models = df.column("model")?.str()?;
    Ok(curves_of(df)?
        .into_iter()
        .filter(|&(_, first, _)| {
            models
                .get(first)
                .is_none_or(|model| !remade.contains(model))
        })
        .collect())
}

/// How many curves (runs of one profile id) `df` holds.
pub fn curve_count(df: &DataFrame) -> PolarsResult<usize> {
    Ok(curves_of(df)?.len())
}

/// How many rows and curves of `previous` a merge under `plan` keeps.
pub fn kept_size(previous: &DataFrame, plan: &Plan) -> PolarsResult<(usize, usize)> {
    let kept = kept_curves(previous, &plan.models)?;
    Ok((kept.iter().map(|c| c.2).sum(), kept.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inputs: &str, models: &[&str]) -> RunInputs {
        RunInputs {
            inputs: inputs.into(),
            models: models.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn record_of(runs: &[(&str, RunInputs)]) -> IngestRecord {
        IngestRecord {
            runs: runs
                .iter()
                .map(|(dir, r)| {
                    (
                        dir.to_string(),
                        RunRecord {
                            inputs: r.inputs.clone(),
                            models: r.models.clone(),
                            report: ReportPart::default(),
                        },
                    )
                })
                .collect(),
            ..Default::default()
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_changed_run_remakes_its_models_in_every_run_that_names_them() {
        let before = record_of(&[
            ("a", run("1", &["m1"])),
            ("b", run("2", &["m1", "m2"])),
            ("c", run("3", &["m3"])),
            ("gone", run("4", &["m4"])),
        ]);
        let now: BTreeMap<String, RunInputs> = [
            ("a", run("1-changed", &["m1"])),
            ("b", run("2", &["m1", "m2"])),
            ("c", run("3", &["m3"])),
            ("new", run("5", &["m5"])),
        ]
        .into_iter()
        .map(|(d, r)| (d.to_string(), r))
        .collect();
        let plan = Plan::against(&before, &now);
        assert_eq!(plan.models, set(&["m1", "m4", "m5"]));
        assert_eq!(plan.runs, set(&["a", "b", "new"]));
        assert!(!plan.remakes_run("c"));
    }

    #[test]
    fn a_run_naming_another_model_than_before_remakes_both() {
        let before = record_of(&[("a", run("1", &["old"])), ("b", run("2", &["new"]))]);
        let now: BTreeMap<String, RunInputs> =
            [("a", run("1", &["new"])), ("b", run("2", &["new"]))]
                .into_iter()
                .map(|(d, r)| (d.to_string(), r))
                .collect();
        let plan = Plan::against(&before, &now);
        assert_eq!(plan.models, set(&["new", "old"]));
        assert_eq!(plan.runs, set(&["a", "b"]));
    }

    #[test]
    fn nothing_changed_remakes_nothing() {
        let before = record_of(&[("a", run("1", &["m1"]))]);
        let now: BTreeMap<String, RunInputs> = [("a".to_string(), run("1", &["m1"]))].into();
        let plan = Plan::against(&before, &now);
        assert!(plan.models.is_empty() && plan.runs.is_empty());
    }

    fn table(rows: &[(&str, &str, f64)]) -> DataFrame {
        df!(
            "profile_id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "model" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "load_value" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn merged_curves_come_in_id_order_each_whole_and_remade_models_are_replaced() {
        let previous = table(&[
            ("a", "m1", 1.0),
            ("a", "m1", 2.0),
            ("b", "m2", 1.0),
            ("d", "m1", 1.0),
            ("e", "m3", 1.0),
            ("e", "m3", 2.0),
        ]);
        let made = table(&[("b2", "m2", 5.0), ("c", "m2", 6.0), ("c", "m2", 7.0)]);
        let plan = Plan {
            models: set(&["m2"]),
            runs: set(&[]),
        };
        let merged = merge(&previous, &plan, made).unwrap();
        assert_eq!(
            merged.layout,
            [
                Stretch::Kept { start: 0, len: 2 },
                Stretch::Made { start: 0, len: 3 },
                Stretch::Kept { start: 3, len: 3 },
            ]
        );
        assert_eq!(merged.made.height(), 3);
        let merged = merged.table;
        let expected = table(&[
            ("a", "m1", 1.0),
            ("a", "m1", 2.0),
            ("b2", "m2", 5.0),
            ("c", "m2", 6.0),
            ("c", "m2", 7.0),
            ("d", "m1", 1.0),
            ("e", "m3", 1.0),
            ("e", "m3", 2.0),
        ]);
        assert!(merged.equals(&expected), "{merged}");
        assert_eq!(merged.first_col_n_chunks(), 1);
        assert_eq!(curve_count(&merged).unwrap(), 5);
    }

    #[test]
    fn merging_nothing_kept_and_nothing_made_gives_an_empty_table() {
        let previous = table(&[("a", "m1", 1.0)]);
        let made = table(&[]);
        let plan = Plan {
            models: set(&["m1"]),
            runs: set(&[]),
        };
        let merged = merge(&previous, &plan, made).unwrap().table;
        assert_eq!(merged.height(), 0);
        assert_eq!(merged.width(), 3);
    }
}
