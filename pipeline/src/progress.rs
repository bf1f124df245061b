//! Progress reporting from long stages, without tying the library to a terminal: the CLI
//! implements [`Progress`] (a bar on a terminal, plain lines in CI).

pub trait Progress: Sync {
    /// A stage starts with `total` steps.
    fn start(&self, stage: &str, total: usize);
    /// `n` more steps are done.
    fn advance(&self, n: usize);
    /// The stage is over.
    fn finish(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: usize) {}
    fn advance(&self, _: usize) {}
    fn finish(&self) {}
}
