#!/usr/bin/env bash
# The GPU check of issue 15, for a short session on a machine with an NVIDIA GPU (compute
# capability 8.0 or later), its driver (libcuda.so) and cuBLAS (libcublas.so.12, e.g. from
# pip's nvidia-cublas-cu12 on LD_LIBRARY_PATH). No CUDA toolkit is needed to build: cudarc
# loads the libraries at run time. Run from anywhere: `bash scripts/gpu_check.sh`.
#
# It builds once (dev profile, --features cuda), then runs, each with a time limit and a log
# under target/gpu_check/:
#   probe      the device probe (theano_cuda::probe through the no-device test's twin)
#   cuda_tests tests/cuda_device.rs with THEANO_CUDA_REQUIRED=1 (a missing device fails
#              instead of skipping): functions, the seed and softmax training, updates
#   filetests  every filetest graph on every backend, linker=cuda included
#   modes      tests/honest_modes.rs with the cuda feature (device=cuda runs)
#   bandwidth  examples/gpu_bandwidth.rs: exp(x)*y + tanh(z) and a*x + y on 10^8 float32
#              against the device's copy bandwidth
# and prints a summary (PASS/FAIL per step, the bandwidth lines). Exit status: the number
# of failed steps.
#
# On a machine without Rust or network (the lent device machines), build the bundle here
# first (`bash scripts/gpu_bundle.sh`: release binaries of the same tests and examples in
# target/gpu_bundle) and carry it: when target/gpu_bundle/ROOT exists this script runs those
# binaries instead of cargo, finds cuBLAS (a CUDA 12 or 13 libcublas, e.g. pip's, offered to
# cudarc as libcublas.so), and also runs the resident-shared-variable tests and the seed's
# logistic regression and the softmax tutorial (when the bundle holds the data) on the CPU and
# on `device=cuda`, printing both accuracies; with `OUT` set (the device tool's output folder)
# it also leaves every log there, as gpu_check_logs.tgz.
set -uo pipefail
cd "$(dirname "$0")/.."
LOG=target/gpu_check
mkdir -p "$LOG"
declare -a SUMMARY=()
FAILED=0

run_step() {
  local name=$1 limit=$2
  shift 2
  echo "== $name: $*"
  local t0=$SECONDS
  if timeout "$limit" "$@" >"$LOG/$name.log" 2>&1; then
    SUMMARY+=("PASS  $name ($((SECONDS - t0)) s)")
  else
    local rc=$?
    SUMMARY+=("FAIL  $name (exit $rc after $((SECONDS - t0)) s; $LOG/$name.log)")
    FAILED=$((FAILED + 1))
  fi
  tail -n 25 "$LOG/$name.log"
}

command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv || echo "nvidia-smi not found"

BUNDLE=target/gpu_bundle
if [ -f "$BUNDLE/ROOT" ]; then
  echo "== bundle built at commit $(cat "$BUNDLE/COMMIT" 2>/dev/null || echo '?')"
  # the filetests read their files under the build's repository root
  root=$(cat "$BUNDLE/ROOT")
  if [ ! -e "$root" ]; then
    mkdir -p "$(dirname "$root")" && ln -s "$PWD" "$root"
  fi
  # cudarc opens libcublas.so (or .so.12): offer it the newest libcublas found
  if ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.12'; then
    dirs="/usr/local/cuda/lib64 /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /opt"
    dirs="$dirs $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)"
    # shellcheck disable=SC2086
    lib=$(find $dirs -name 'libcublas.so.1[23]*' 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$lib" ]; then
      mkdir -p target/gpu_libs
      ln -sf "$lib" target/gpu_libs/libcublas.so
      export LD_LIBRARY_PATH="$PWD/target/gpu_libs:$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      echo "== cuBLAS: $lib"
    else
      echo "== cuBLAS: no libcublas.so.12 or .13 found"
    fi
  fi
  export THEANO_CUDA_REQUIRED=1
  B=target/gpu_bundle_run
  mkdir -p "$B"
  python3 - "$BUNDLE"/bin/*.xz "$B" <<'PY'
import lzma, os, sys
*files, out = sys.argv[1:]
for f in files:
    dst = os.path.join(out, os.path.basename(f)[: -len(".xz")])
    with lzma.open(f, "rb") as i, open(dst, "wb") as o:
        o.write(i.read())
    os.chmod(dst, 0o755)
PY
  run_step probe 120 "$B/cuda_device" --nocapture gpu_functions_agree_with_the_cpu
  run_step cuda_tests 300 "$B/cuda_device" --nocapture --test-threads 1
  run_step resident 120 "$B/cuda_resident"
  run_step filetests 300 "$B/filetests"
  run_step modes 300 "$B/honest_modes"
  run_step bandwidth 300 "$B/gpu_bandwidth"
  run_step seed_cpu 300 "$B/logistic_regression" --quiet --steps 2000
  THEANO_FLAGS=device=cuda run_step seed_gpu 300 "$B/logistic_regression" --quiet --steps 2000
  if [ -d "$BUNDLE/mnist" ]; then
    MNIST_DIR=$BUNDLE/mnist run_step softmax_cpu 300 "$B/softmax_regression" --epochs 2
    MNIST_DIR=$BUNDLE/mnist THEANO_FLAGS=device=cuda run_step softmax_gpu 300 "$B/softmax_regression" --epochs 2
  fi
  echo
  echo "== summary"
  printf '%s\n' "${SUMMARY[@]}"
  grep -h -E "^(device|device-to-device|exp\(x\)|a\*x|summary)" "$LOG/bandwidth.log" 2>/dev/null
  for f in seed_cpu seed_gpu softmax_cpu softmax_gpu; do
    [ -f "$LOG/$f.log" ] && grep -h -E "accuracy|non-finite|^epoch" "$LOG/$f.log" | sed "s/^/$f: /"
  done
  # on the lent device machines what is written under $OUT comes back (at most 8 files)
  if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
    tar czf "$OUT/gpu_check_logs.tgz" -C target gpu_check
  fi
  exit "$FAILED"
fi

# one build for everything below (tests and the example)
run_step build 900 cargo build --features cuda --tests --example gpu_bandwidth
if [ "$FAILED" -ne 0 ]; then
  printf '%s\n' "${SUMMARY[@]}"
  exit "$FAILED"
fi

export THEANO_CUDA_REQUIRED=1
run_step probe 120 cargo test --features cuda --test cuda_device -- --nocapture gpu_functions_agree_with_the_cpu
run_step cuda_tests 300 cargo test --features cuda --test cuda_device -- --nocapture --test-threads 1
run_step filetests 300 cargo test --features cuda --test filetests
run_step modes 300 cargo test --features cuda --test honest_modes
run_step bandwidth 300 cargo run --features cuda --example gpu_bandwidth

echo
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
grep -h -E "^(device|device-to-device|exp\(x\)|a\*x|summary)" "$LOG/bandwidth.log" 2>/dev/null
exit "$FAILED"
