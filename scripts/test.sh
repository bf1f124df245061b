#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust unit + end-to-end tests, manifest validation
# against the Kubernetes schemas, and the catalog site in headless Chromium. Same command on a
# laptop and in CI (.ci/run installs the prerequisites: Debian's chromium, the Python packages
# of tests/requirements.txt, the npm packages of tests/site/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== manifests validate against Kubernetes 1.33 and the CRD schemas"
cargo build --locked --bin infercat
python3 -m pytest -q tests/manifests
echo "== catalog site in headless Chromium (network cut off)"
(cd tests/site && npm ci --no-audit --no-fund --silent && npm test)
