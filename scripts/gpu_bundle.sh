#!/usr/bin/env bash
# Build here everything scripts/gpu_check.sh runs on a GPU machine that has no Rust toolchain
# and no network (such as the lent device machines): the CUDA test binaries, the bandwidth
# bench and the two training examples, release profile, `--features cuda`, stripped, into
# target/gpu_bundle/bin, with the build's repository root in target/gpu_bundle/ROOT (the
# filetests find their files through it). Then carry target/gpu_bundle to that machine and
# run `bash scripts/gpu_check.sh` there: it uses the bundle when one is present.
#
# The binaries are xz-compressed (gpu_check.sh unpacks them with python3's lzma). Optionally,
# `MNIST_DIR` (or /usr/share/datasets/fashion-mnist) is copied into target/gpu_bundle/mnist
# when the bundle stays within GPU_BUNDLE_MAX_MB (default 56: the working tree, about 7 MB,
# travels with it, 64 MiB in all), so the softmax tutorial also runs there.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/gpu_bundle
MAX_MB=${GPU_BUNDLE_MAX_MB:-56}
rm -rf "$OUT"
mkdir -p "$OUT/bin"

TESTS=(cuda_device cuda_resident filetests honest_modes)
EXAMPLES=(gpu_bandwidth logistic_regression softmax_regression)
test_args=()
for t in "${TESTS[@]}"; do test_args+=(--test "$t"); done
example_args=()
for e in "${EXAMPLES[@]}"; do example_args+=(--example "$e"); done

# the test executables, as cargo reports them
cargo test --release --features cuda --no-run "${test_args[@]}" --message-format=json 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"])
' | while read -r name exe; do cp "$exe" "$OUT/bin/$name"; done
cargo build --release --features cuda "${example_args[@]}"
for e in "${EXAMPLES[@]}"; do cp "target/release/examples/$e" "$OUT/bin/$e"; done
for t in "${TESTS[@]}" "${EXAMPLES[@]}"; do
  [ -x "$OUT/bin/$t" ] || { echo "gpu_bundle: $t was not built" >&2; exit 1; }
done
strip "$OUT"/bin/* 2>/dev/null || echo "gpu_bundle: strip not found; binaries left unstripped"
# xz: about a fifth of the size (the working tree that travels is limited to 64 MiB)
python3 - "$OUT"/bin/* <<'PY'
import lzma, os, sys
for f in sys.argv[1:]:
    with open(f, "rb") as i, lzma.open(f + ".xz", "wb", preset=9) as o:
        o.write(i.read())
    os.remove(f)
PY
pwd >"$OUT/ROOT"
git rev-parse HEAD >"$OUT/COMMIT" 2>/dev/null || true

size_mb() { du -sm "$1" | cut -f1; }
data=${MNIST_DIR:-/usr/share/datasets/fashion-mnist}
if [ -d "$data" ]; then
  need=$(( $(size_mb "$OUT") + $(size_mb "$data") ))
  if [ "$need" -le "$MAX_MB" ]; then
    mkdir -p "$OUT/mnist"
    cp "$data"/*.gz "$OUT/mnist/"
  else
    echo "gpu_bundle: $data left out ($need MB with it; the limit is $MAX_MB MB)"
  fi
fi
ls -l "$OUT/bin"
echo "gpu_bundle: $(size_mb "$OUT") MB in $OUT (commit $(cat "$OUT/COMMIT" 2>/dev/null || echo '?'))"
