#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit + end-to-end tests.
# Same command on a laptop and in CI (.ci/run installs the prerequisites first).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
