//! The CSV copy of a table a refresh merged from the previous table and rows made again: the
//! kept rows' lines are copied from the previous table's CSV copy and only the made rows are
//! formatted. Formatting every row of 100,000 was most of writing the table in a one-run
//! refresh. The bytes are a full build's: polars formats each value on its own, so a row's line
//! does not depend on the rows around it. A previous copy is only copied from when its header
//! is the one this code writes and it holds a whole record per row of the previous table;
//! anything else (or any error reading it) formats the whole table instead.

use crate::error::PipelineError;
use crate::previous_table::Stretch;
use crate::schema;
use polars::prelude::DataFrame;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Bytes read from the previous copy, and written to the new one, at a time.
const BUFFER: usize = 1 << 20;

/// How to write a merged table's CSV copy from the previous copy and the rows made again.
pub struct MergedCopy {
    layout: Vec<Stretch>,
    made: DataFrame,
    previous_csv: PathBuf,
    previous_rows: usize,
}

impl MergedCopy {
    /// The copy of the table `layout` describes, from `made` and `previous_csv` (the copy of a
    /// table of `previous_rows` rows). None where more rows are made than kept: formatting
    /// them all then costs about as much and holds less.
    pub fn of(
        layout: Vec<Stretch>,
        made: DataFrame,
        previous_csv: PathBuf,
        previous_rows: usize,
    ) -> Option<Self> {
        let kept: usize = layout
            .iter()
            .map(|s| match s {
                Stretch::Kept { len, .. } => *len,
                Stretch::Made { .. } => 0,
            })
            .sum();
        (made.height() <= kept).then_some(Self {
            layout,
            made,
            previous_csv,
            previous_rows,
        })
    }

    /// Writes the copy of `merged` (the table the layout describes) to `csv_path`: copied
    /// where the previous copy can be copied from, else formatted whole.
    pub fn write(mut self, merged: &mut DataFrame, csv_path: &Path) -> Result<(), PipelineError> {
        match self.copy(csv_path) {
            Ok(true) => Ok(()),
            // The file is created again: nothing of the attempt is left in it.
            Ok(false) | Err(_) => schema::write_csv(merged, csv_path),
        }
    }

    /// Writes the copy from the previous copy's lines and the made rows' own; false (with
    /// the file partly written) where the previous copy is not the one its table had.
    fn copy(&mut self, csv_path: &Path) -> io::Result<bool> {
        let mut made_csv = Vec::new();
        schema::format_csv(&mut self.made, &mut made_csv).map_err(io::Error::other)?;
        let mut made = Records::new(made_csv.as_slice());
        let previous_file = File::open(&self.previous_csv)?;
        let mut previous = Records::new(BufReader::with_capacity(BUFFER, previous_file));
        let mut header = Vec::new();
        let mut previous_header = Vec::new();
        made.pass(1, &mut header)?;
        previous.pass(1, &mut previous_header)?;
        if header.is_empty() || header != previous_header {
            return Ok(false);
        }
        let mut out = BufWriter::with_capacity(BUFFER, File::create(csv_path)?);
        out.write_all(&header)?;
        for stretch in &self.layout {
            let copied = match *stretch {
                Stretch::Kept { start, len } => previous.copy(start, len, &mut out)?,
                Stretch::Made { start, len } => made.copy(start, len, &mut out)?,
            };
            if !copied {
                return Ok(false);
            }
        }
        previous.pass(usize::MAX, &mut io::sink())?;
        if previous.at != self.previous_rows + 1 {
            return Ok(false);
        }
        out.flush()?;
        Ok(true)
    }
}

/// A CSV text read a record at a time (a record ends at a line break outside quotes, as
/// polars writes them: a field holding a quote, separator or line break is quoted, its quotes
/// doubled).
struct Records<R> {
    reader: R,
    in_quotes: bool,
    /// Records passed, the header included.
    at: usize,
}

impl<R: BufRead> Records<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            in_quotes: false,
            at: 0,
        }
    }

    /// Writes records `start..start + len` (counted after the header) to `out`, skipping
    /// those before them; false where the records are behind or the text ends first.
    fn copy(&mut self, start: usize, len: usize, out: &mut impl Write) -> io::Result<bool> {
        let Some(skip) = (start + 1).checked_sub(self.at) else {
            return Ok(false);
        };
        if self.pass(skip, &mut io::sink())? != skip {
            return Ok(false);
        }
        Ok(self.pass(len, out)? == len)
    }

    /// Moves up to `n` whole records to `out`; how many there were. A text ending inside a
    /// record is an error.
    fn pass(&mut self, n: usize, out: &mut impl Write) -> io::Result<usize> {
        let mut passed = 0;
        while passed < n {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let mut taken = buf.len();
            let mut record_ends = buf.len() + 1;
            for i in memchr::memchr2_iter(b'\n', b'"', buf) {
                if buf[i] == b'"' {
                    self.in_quotes = !self.in_quotes;
                } else if !self.in_quotes {
                    passed += 1;
                    record_ends = i + 1;
                    if passed == n {
                        taken = i + 1;
                        break;
                    }
                }
            }
            out.write_all(&buf[..taken])?;
            // A chunk ending without a line break leaves its last record open.
            let open = record_ends != taken;
            self.reader.consume(taken);
            if open && self.reader.fill_buf()?.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the text ends inside a record",
                ));
            }
        }
        self.at += passed;
        Ok(passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::previous_table::{Plan, merge};
    use polars::prelude::*;

    /// Rows of (profile id, model, notes, value); the notes hold what CSV must quote.
    fn table(rows: &[(&str, &str, Option<&str>, f64)]) -> DataFrame {
        df!(
            "profile_id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "model" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "notes" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "value" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    fn previous() -> DataFrame {
        table(&[
            ("a", "m1", Some("plain"), 1.5),
            ("a", "m1", Some("two\nlines, \"quoted\""), 2.0),
            ("b", "m2", None, 0.1),
            ("d", "m1", Some("\"\n\""), 1e-9),
            ("e", "m3", Some("x"), 3.0),
        ])
    }

    fn csv_of(df: &mut DataFrame) -> Vec<u8> {
        let mut bytes = Vec::new();
        schema::format_csv(df, &mut bytes).unwrap();
        bytes
    }

    /// The previous table's copy (as `edit` leaves it) and the merged table with `m2` made
    /// again.
    fn merged_with_copy(
        dir: &Path,
        edit: impl FnOnce(Vec<u8>) -> Vec<u8>,
    ) -> (DataFrame, MergedCopy) {
        let mut previous = previous();
        let previous_csv = dir.join("previous.csv");
        std::fs::write(&previous_csv, edit(csv_of(&mut previous))).unwrap();
        let made = table(&[
            ("b2", "m2", Some("new,\r\none"), 5.0),
            ("c", "m2", Some("\"\""), 6.0),
        ]);
        let plan = Plan {
            models: ["m2".to_string()].into(),
            runs: Default::default(),
        };
        let merged = merge(&previous, &plan, made).unwrap();
        let copy = MergedCopy::of(merged.layout, merged.made, previous_csv, previous.height());
        (merged.table, copy.expect("fewer rows made than kept"))
    }

    #[test]
    fn a_merged_copy_is_the_merged_tables_own_csv_with_kept_lines_copied() {
        let dir = tempfile::tempdir().unwrap();
        let (mut merged, mut copy) = merged_with_copy(dir.path(), |bytes| bytes);
        let out = dir.path().join("merged.csv");
        assert!(
            copy.copy(&out).unwrap(),
            "the previous copy was copied from"
        );
        assert_eq!(
            String::from_utf8(std::fs::read(&out).unwrap()).unwrap(),
            String::from_utf8(csv_of(&mut merged)).unwrap()
        );
    }

    #[test]
    fn a_previous_copy_unlike_its_table_is_not_copied_from_and_the_table_is_formatted() {
        type Edit = fn(Vec<u8>) -> Vec<u8>;
        let edits: [(&str, Edit); 5] = [
            ("another header", |b| [b"x".as_slice(), &b].concat()),
            ("a row missing", |b| {
                let last_line = b[..b.len() - 1].iter().rposition(|&c| c == b'\n').unwrap();
                b[..=last_line].to_vec()
            }),
            ("a row more", |b| [b.as_slice(), b"f,m1,,1.0\n"].concat()),
            ("cut inside a quoted field", |b| {
                let cut = b.windows(4).position(|w| w == b"two\n").unwrap() + 4;
                b[..cut].to_vec()
            }),
            ("empty", |_| Vec::new()),
        ];
        for (what, edit) in edits {
            let dir = tempfile::tempdir().unwrap();
            let (mut merged, mut copy) = merged_with_copy(dir.path(), edit);
            let out = dir.path().join("merged.csv");
            assert!(!copy.copy(&out).unwrap_or(false), "{what}: copied from");
            let (_, copy) = merged_with_copy(dir.path(), edit);
            copy.write(&mut merged, &out).unwrap();
            assert_eq!(
                std::fs::read(&out).unwrap(),
                csv_of(&mut merged),
                "{what}: not the table's own CSV"
            );
        }
    }

    #[test]
    fn records_end_at_line_breaks_outside_quotes_across_reads() {
        let text = b"h1,h2\n\"a\nb\",1\n\"\"\"\",2\nplain,3\n";
        for capacity in [1, 2, 3, 5, 64] {
            let mut records = Records::new(BufReader::with_capacity(capacity, &text[..]));
            let mut header = Vec::new();
            assert_eq!(records.pass(1, &mut header).unwrap(), 1);
            assert_eq!(header, b"h1,h2\n");
            let mut second = Vec::new();
            assert!(records.copy(1, 1, &mut second).unwrap(), "{capacity}");
            assert_eq!(second, b"\"\"\"\",2\n", "read {capacity} bytes at a time");
            assert!(!records.copy(0, 1, &mut Vec::new()).unwrap(), "behind");
            assert_eq!(records.pass(usize::MAX, &mut io::sink()).unwrap(), 1);
            assert_eq!(records.at, 4);
        }
    }

    #[test]
    fn more_rows_made_than_kept_are_formatted_whole() {
        let layout = vec![
            Stretch::Kept { start: 0, len: 1 },
            Stretch::Made { start: 0, len: 2 },
        ];
        let made = table(&[("b", "m2", None, 1.0), ("c", "m2", None, 2.0)]);
        assert!(MergedCopy::of(layout, made, "previous.csv".into(), 3).is_none());
    }
}
