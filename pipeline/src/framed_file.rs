//! Files of length-framed records that a build extends in place while they are still the
//! file it loaded: the parse cache and the file stamps. A record is a little-endian `u32`
//! length, then that many bytes. A load takes the whole records and leaves out one cut short
//! (a killed build's partial append); the next append cuts it off. The records hold postcard.

use crate::error::PipelineError;
use std::ops::Range;
use std::path::Path;

/// A file's device, inode, length and modification time: another file, or this one written
/// since, differs in one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileIdentity {
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(Self {
            device: meta.dev(),
            inode: meta.ino(),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    /// Elsewhere nothing tells another file apart: such files are written whole.
    #[cfg(not(unix))]
    pub fn of(_: &std::fs::Metadata) -> Option<Self> {
        None
    }
}

/// A file's bytes and what it was when they were read; None where it cannot be read.
pub fn read(path: &Path) -> Option<(Vec<u8>, Option<FileIdentity>)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).ok()?;
    Some((bytes, FileIdentity::of(&meta)))
}

/// Appends `body` as one record; Err where it is 4 GiB or more.
pub fn push(out: &mut Vec<u8>, body: &[u8]) -> Result<(), String> {
    let len = u32::try_from(body.len()).map_err(|_| "a record of 4 GiB or more".to_string())?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    Ok(())
}

/// Where the whole records of `bytes` lie, in order (each with its length prefix), up to the
/// first one cut short.
pub fn records(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((len, _)) = bytes[at..].split_first_chunk::<4>() {
        let Some(end) = usize::try_from(u32::from_le_bytes(*len))
            .ok()
            .and_then(|len| (at + 4).checked_add(len))
            .filter(|&end| end <= bytes.len())
        else {
            break;
        };
        out.push(at..end);
        at = end;
    }
    out
}

/// The body of the record at `range` (after its length prefix).
pub fn body<'b>(bytes: &'b [u8], range: &Range<usize>) -> &'b [u8] {
    &bytes[range.start + 4..range.end]
}

/// The postcard value `bytes` hold, all of them: a record with bytes left over is not one
/// these files were written with.
pub fn whole_value<'b, T: serde::Deserialize<'b>>(bytes: &'b [u8]) -> Option<T> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// Writes `tail` after the first `after` bytes of the file at `path` (the whole records it
/// held when it was loaded as `loaded_as`), cutting off whatever followed them. Killed while
/// appending, the file loads as before with some of the new records. A file that is no
/// longer the one loaded is left alone (Err: its records are not this build's to extend), and
/// one with other names (a hard-linked copy of the output) is replaced whole, not written
/// through.
pub fn append_after(
    path: &Path,
    loaded_as: FileIdentity,
    after: u64,
    tail: &[u8],
) -> Result<(), PipelineError> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let io = |e| PipelineError::io(path, e);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if FileIdentity::of(&meta) != Some(loaded_as) || meta.len() < after {
        return Err(io(std::io::Error::other(
            "the file changed while the build ran; this build's records are not added",
        )));
    }
    if meta.len() == after && tail.is_empty() {
        return Ok(());
    }
    if has_other_names(&meta) {
        let mut whole = Vec::with_capacity(usize::try_from(after).unwrap_or(0) + tail.len());
        file.take(after).read_to_end(&mut whole).map_err(io)?;
        whole.extend_from_slice(tail);
        return crate::output_dir::replace_file(path, &whole);
    }
    file.set_len(after).map_err(io)?;
    file.seek(SeekFrom::Start(after)).map_err(io)?;
    file.write_all(tail).map_err(io)
}

#[cfg(unix)]
fn has_other_names(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(meta) > 1
}

#[cfg(not(unix))]
fn has_other_names(_: &std::fs::Metadata) -> bool {
    true
}
