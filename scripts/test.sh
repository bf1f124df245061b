#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust unit + end-to-end tests, manifest validation
# against the Kubernetes schemas, and the catalog site in headless Chromium. Same command on a
# laptop and in CI. Prerequisites: Rust stable, Python 3 with venv, Node 20 and Debian's
# `chromium`; the Python packages (tests/requirements.txt) go into a virtual environment this
# script makes under target/, and the npm packages are installed from tests/site/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
# Also builds target/debug/infercat, which the two suites below drive: a separate
# `cargo build` would resolve other features and compile polars a second time.
cargo test --workspace --locked
test -x target/debug/infercat || cargo build --locked --bin infercat
echo "== manifests validate against Kubernetes 1.33 and the CRD schemas"
venv=target/test-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || {
    echo "error: cannot create a Python virtual environment; install it with: apt-get install -y python3-venv" >&2
    exit 1
  }
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
"$venv/bin/python" -m pytest -q tests/manifests
echo "== infercat serve: the site, and the GKE Recommender API through the real gcloud and Google's v1 client"
"$venv/bin/python" -m pytest -q tests/serve
echo "== catalog site in headless Chromium (network cut off)"
if ! command -v chromium >/dev/null 2>&1; then
  echo "error: the site tests need Debian's Chromium at /usr/bin/chromium; install it with: apt-get install -y chromium" >&2
  exit 1
fi
(cd tests/site && npm ci --no-audit --no-fund --silent && npm test)
