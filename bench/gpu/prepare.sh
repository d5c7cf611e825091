#!/usr/bin/env bash
# Runs here. Packs a self-contained linux-x64 `elite` (ONNX Runtime GPU build by default) with the
# assets the benchmark needs into compressed chunks of at most 60 MiB, plus a manifest of sha256s,
# so the GPU machine (no .NET, no network, 64 MiB per transfer) can run it.
#   bench/gpu/prepare.sh [OUT_DIR]        default OUT_DIR: bench/gpu/out (ignored by git)
#   ORT_FLAVOR=Cpu bench/gpu/prepare.sh   CPU build, for the dry run
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/bench/gpu/out}"
FLAVOR="${ORT_FLAVOR:-Gpu}"
CHUNK_MIB=60

[ -f "$ROOT/assets/bpe_simple_vocab_16e6.txt" ] || "$ROOT/run.sh" setup >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payload/elite" "$work/payload/assets"

# Trimming keeps the framework small; JSON reflection stays on for the manifest and results files.
dotnet publish "$ROOT/tools/Elite.Cli" -c Release -r linux-x64 --self-contained --nologo -v quiet \
  -p:OrtFlavor="$FLAVOR" -p:PublishTrimmed=true -p:TrimMode=partial \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false \
  -o "$work/payload/elite" >&2
cp "$ROOT/assets/bpe_simple_vocab_16e6.txt" "$ROOT/assets/u2netp.onnx" "$ROOT/assets/chelsea.png" "$work/payload/assets/"
cp "$ROOT/bench/gpu/run-on-device.sh" "$work/payload/"
echo "$FLAVOR" >"$work/payload/FLAVOR"

rm -rf "$OUT"
mkdir -p "$OUT"
tar -C "$work/payload" -cf - . | xz -T0 -6 | split -b "${CHUNK_MIB}M" -d -a 2 - "$OUT/elite-bench.tar.xz.part"
(cd "$OUT" && sha256sum elite-bench.tar.xz.part* >SHA256SUMS)
cp "$ROOT/bench/gpu/run-on-device.sh" "$OUT/"
du -b "$OUT"/elite-bench.tar.xz.part* | awk -v limit=$((CHUNK_MIB * 1048576)) '
  { total += $1; if ($1 > limit) { print "chunk over the limit: " $2; bad = 1 } }
  END { printf "%d chunk(s), %.1f MiB in all\n", NR, total / 1048576; exit bad }'
echo "$OUT"
