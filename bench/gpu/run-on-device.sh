#!/usr/bin/env bash
# Runs on the GPU machine (no .NET, no network). Reassembles and verifies the chunks made by
# prepare.sh, points the loader at the CUDA libraries of the machine's Python environment, builds the
# sd14-elite random pack in fp16 on local disk (fused attention, and an explicit one beside it), checks
# that the UNet runs on CUDA, and prints: encode time, seconds per image at 50 LMS steps for batch 1, 4,
# 8, 16, images/s, GPU memory, share of time outside ONNX Runtime; then before/after rows at the same
# batches and steps, each cell its own process: explicit vs fused attention, host vs device binding of
# the UNet's constant inputs. (A CUDA graph row waits for the option: see README, "Benchmarks".)
#   bench/gpu/run-on-device.sh CHUNK_DIR LOG_DIR
#   bench/gpu/run-on-device.sh --dry-run CHUNK_DIR LOG_DIR   (CPU build, tiny pack, 2 steps, batch 1,2; comparisons at batch 1)
set -euo pipefail
DRY=0
if [ "${1:-}" = "--dry-run" ]; then DRY=1; shift; fi
CHUNKS="$(cd "${1:?chunk folder}" && pwd)"
LOGS="${2:?log folder}"
mkdir -p "$LOGS"
LOGS="$(cd "$LOGS" && pwd)"
WORK="${ELITE_BENCH_WORK:-/tmp/elite-bench}"

(cd "$CHUNKS" && sha256sum --check --quiet SHA256SUMS) || { echo "chunks missing or damaged" >&2; exit 1; }
rm -rf "$WORK/payload"
mkdir -p "$WORK/payload"
cat "$CHUNKS"/elite-bench.tar.xz.part* | xz -d | tar -C "$WORK/payload" -xf -
ELITE="$WORK/payload/elite/elite"
ASSETS="$WORK/payload/assets"

if [ "$DRY" = 0 ]; then
  # CUDA 13 and cuDNN 9 come with the Python environment's nvidia-* wheels.
  libs=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
print(":".join(sorted({os.path.dirname(p) for r in roots for p in glob.glob(os.path.join(r, "nvidia", "*", "lib", "*.so*"))})))
PY
)
  export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "CUDA libraries from: ${libs:-none found}" | tee "$LOGS/environment.txt"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee -a "$LOGS/environment.txt"
  PRESET=(--preset sd14-elite --random --fp16)
  STEPS=50
  BATCHES=1,4,8,16
  COMPARE_BATCHES=$BATCHES
  DEVICE=()
else
  PRESET=(--preset tiny)
  STEPS=2
  BATCHES=1,2
  COMPARE_BATCHES=1
  DEVICE=(--cpu)
fi

cd "$ASSETS/.." # the CLI finds assets/ above the working directory
PACK="$WORK/pack"
EXPLICIT="$WORK/pack-explicit"
rm -rf "$PACK" "$EXPLICIT"
"$ELITE" models build "${PRESET[@]}" --out "$PACK" 2>&1 | tee "$LOGS/build.log"
"$ELITE" models build "${PRESET[@]}" --attention explicit --out "$EXPLICIT" 2>&1 | tee -a "$LOGS/build.log"

"$ELITE" bench encode --models "$PACK" --image "$ASSETS/chelsea.png" --repeat 5 "${DEVICE[@]}" 2>&1 | tee "$LOGS/encode.log"
"$ELITE" bench generate --models "$PACK" --batch "$BATCHES" --steps "$STEPS" --scheduler lms "${DEVICE[@]}" 2>&1 | tee "$LOGS/bench.log"
if [ "$DRY" = 0 ]; then
  grep -q "on CUDA" "$LOGS/bench.log" || { echo "the UNet did not run on the CUDA provider (silent CPU fallback?): see $LOGS/bench.log" >&2; exit 1; }
  nvidia-smi --query-gpu=memory.used,memory.total --format=csv | tee "$LOGS/gpu-memory.txt"
fi

# Before/after rows: every (variant, batch) runs in its own process, so its peak memory is its own.
compare() {
  local name=$1 before=$2 after=$3
  "$ELITE" bench generate --batch "$COMPARE_BATCHES" --steps "$STEPS" --scheduler lms \
    --variant "$before ${DEVICE[*]}" --variant "$after ${DEVICE[*]}" 2>&1 | tee "$LOGS/compare-$name.log"
}
compare attention "explicit=--models \"$EXPLICIT\"" "fused=--models \"$PACK\""
compare binding "host=--models \"$PACK\"" "device=--models \"$PACK\" --device-binding"
if [ "$DRY" = 0 ]; then
  grep -q "UNet inputs bound on the device" "$LOGS/compare-binding.log" || { echo "the device row did not bind on the device: see $LOGS/compare-binding.log" >&2; exit 1; }
fi
cat "$LOGS/encode.log" "$LOGS/bench.log" "$LOGS/compare-attention.log" "$LOGS/compare-binding.log" >"$LOGS/summary.txt"
