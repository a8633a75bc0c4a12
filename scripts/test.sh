#!/usr/bin/env bash
# The test command of the README and of CI: set-up, formatting, lints, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The CUDA runtime (`--features cuda`) builds without CUDA (cudarc loads its libraries at run
# time): linted, and its no-device paths tested (every entry point a typed error; the
# device tests skip, saying why). scripts/gpu_check.sh runs it on a device.
cargo clippy --workspace --all-targets --features cuda -- -D warnings
cargo test --workspace
cargo test --features cuda --test cuda_device --test honest_modes
cargo test -p theano-cuda --features device
