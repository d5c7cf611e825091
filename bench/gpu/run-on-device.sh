#!/usr/bin/env bash
# Runs on the GPU machine (no .NET, no network). Reassembles and verifies the chunks made by
# prepare.sh, points the loader at the CUDA libraries of the machine's Python environment, builds the
# sd14-elite random pack in fp16 on local disk, checks that the UNet runs on CUDA, and prints one
# table: encode time, seconds per image at 50 LMS steps for batch 1, 4, 8, 16, images/s, GPU memory,
# share of time outside ONNX Runtime.
#   bench/gpu/run-on-device.sh CHUNK_DIR LOG_DIR
#   bench/gpu/run-on-device.sh --dry-run CHUNK_DIR LOG_DIR   (CPU build, tiny pack, 2 steps, batch 1,2)
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
  DEVICE=()
else
  PRESET=(--preset tiny)
  STEPS=2
  BATCHES=1,2
  DEVICE=(--cpu)
fi

cd "$ASSETS/.." # the CLI finds assets/ above the working directory
PACK="$WORK/pack"
rm -rf "$PACK"
"$ELITE" models build "${PRESET[@]}" --out "$PACK" 2>&1 | tee "$LOGS/build.log"

"$ELITE" bench encode --models "$PACK" --image "$ASSETS/chelsea.png" --repeat 5 "${DEVICE[@]}" 2>&1 | tee "$LOGS/encode.log"
"$ELITE" bench generate --models "$PACK" --batch "$BATCHES" --steps "$STEPS" "${DEVICE[@]}" 2>&1 | tee "$LOGS/bench.log"
if [ "$DRY" = 0 ]; then
  grep -q "on CUDA" "$LOGS/bench.log" || { echo "the UNet did not run on the CUDA provider (silent CPU fallback?): see $LOGS/bench.log" >&2; exit 1; }
  nvidia-smi --query-gpu=memory.used,memory.total --format=csv | tee "$LOGS/gpu-memory.txt"
fi
cat "$LOGS/encode.log" "$LOGS/bench.log" >"$LOGS/summary.txt"
