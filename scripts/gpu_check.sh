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
