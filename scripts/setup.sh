#!/usr/bin/env bash
# Installs what the tests and examples need beyond the Rust toolchain. Idempotent: each step
# checks first and does nothing when its tool is already there. Never needed at run time.
set -euo pipefail

need_apt=()
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ -z "${MNIST_DIR:-}" ]; then
  need_apt+=(dataset-fashion-mnist)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    echo "setup: installing ${need_apt[*]} (apt-get)" >&2
    if ! $SUDO apt-get install -y -q "${need_apt[@]}" >/dev/null 2>&1; then
      $SUDO apt-get update -q >/dev/null 2>&1 || true
      # A package that cannot be installed only skips the tests that need it (they say so).
      for p in "${need_apt[@]}"; do
        $SUDO apt-get install -y -q "$p" >/dev/null 2>&1 || echo "setup: could not install $p; tests needing it will say so" >&2
      done
    fi
  else
    echo "setup: no apt-get; missing ${need_apt[*]} (tests needing them will say so)" >&2
  fi
fi
