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

# ptxas (crates/ptx's assembler check): from pip's nvidia-cuda-nvcc-cu12 wheel into
# target/ptxas/, no root and no CUDA driver needed. The wheel's binaries lose their exec bit.
# The marker target/ptxas/EXPECTED tells the test that set-up ran, so a missing ptxas is a
# failure there rather than a skip.
PTXAS_DIR="$(cd "$(dirname "$0")/.." && pwd)/target/ptxas"
if [ ! -x "$PTXAS_DIR/bin/ptxas" ]; then
  mkdir -p "$PTXAS_DIR"
  touch "$PTXAS_DIR/EXPECTED"
  tmp="$(mktemp -d)"
  if command -v python3 >/dev/null 2>&1 \
    && python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" \
      'nvidia-cuda-nvcc-cu12==12.9.*' >/dev/null 2>&1; then
    whl="$(ls "$tmp"/nvidia_cuda_nvcc_cu12-*.whl | head -n 1)"
    python3 - "$whl" "$PTXAS_DIR" <<'PY'
import sys, zipfile, os
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.endswith('/bin/ptxas'):
            os.makedirs(os.path.join(dest, 'bin'), exist_ok=True)
            with open(os.path.join(dest, 'bin', 'ptxas'), 'wb') as f:
                f.write(z.read(n))
PY
    chmod +x "$PTXAS_DIR/bin/ptxas" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  [ -x "$PTXAS_DIR/bin/ptxas" ] || echo "setup: could not install ptxas; crates/ptx's ptxas test will fail (EXPECTED is set)" >&2
fi
