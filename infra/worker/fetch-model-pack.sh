#!/usr/bin/env bash
# Init container of the GPU worker (infra/modules/worker.bicep embeds this script; it runs in the worker
# image, which has bash, curl and coreutils). Before the worker starts, it downloads into MODELS_DIR:
#   pack/    every file that MODEL_PACK/manifest.json lists, each checked against the manifest's sha256
#   assets/  bpe_simple_vocab_16e6.txt and u2netp.onnx, checked against the sha256 that run.sh pins
# from the blob container MODEL_CONTAINER_URL, with the replica's managed identity. Any missing or damaged
# file fails the replica (the worker never starts on a partial pack); Container Apps then retries it.
#
# Environment: MODEL_CONTAINER_URL, MODEL_PACK, MODELS_DIR, VOCABULARY_SHA256, MASK_MODEL_SHA256,
# IDENTITY_CLIENT_ID (the user-assigned identity), and IDENTITY_ENDPOINT + IDENTITY_HEADER, which
# Container Apps sets for containers that may use an identity. FETCH_RETRIES: retries of a failed request (5).
set -euo pipefail

: "${MODEL_CONTAINER_URL:?}" "${MODEL_PACK:?}" "${MODELS_DIR:?}" "${VOCABULARY_SHA256:?}" "${MASK_MODEL_SHA256:?}"
: "${IDENTITY_ENDPOINT:?no managed identity endpoint: is the identity available to init containers?}"
: "${IDENTITY_HEADER:?}"

STORAGE_API_VERSION=2023-11-03
RETRIES="${FETCH_RETRIES:-5}"
CURL=(curl --fail --silent --show-error --location --retry "$RETRIES" --retry-delay 2 --retry-all-errors --connect-timeout 10)

log() { printf 'fetch-model-pack: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A blob or file name we accept: one path segment of safe characters (no "..", no "/").
safe_name() { [[ "$1" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]]; }

sha_matches() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "${2,,}" ]; }

access_token() {
  local url="$IDENTITY_ENDPOINT?api-version=2019-08-01&resource=https%3A%2F%2Fstorage.azure.com%2F"
  if [ -n "${IDENTITY_CLIENT_ID:-}" ]; then url="$url&client_id=$IDENTITY_CLIENT_ID"; fi
  "${CURL[@]}" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER" "$url" |
    sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
}

# download BLOB DEST [SHA256]: the blob to DEST through DEST.part, checked before it takes DEST's name.
download() {
  local blob="$1" dest="$2" sha="${3:-}"
  if [ -n "$sha" ] && [ -f "$dest" ] && sha_matches "$dest" "$sha"; then
    log "$blob: already present"
    return
  fi
  rm -f "$dest.part"
  "${CURL[@]}" -H "Authorization: Bearer $TOKEN" -H "x-ms-version: $STORAGE_API_VERSION" \
    -o "$dest.part" "$MODEL_CONTAINER_URL/$blob" || die "could not download $blob from $MODEL_CONTAINER_URL"
  if [ -n "$sha" ] && ! sha_matches "$dest.part" "$sha"; then
    rm -f "$dest.part"
    die "$blob does not match its sha256 $sha"
  fi
  mv "$dest.part" "$dest"
  log "$blob: $(stat -c %s "$dest") bytes${sha:+, sha256 ok}"
}

# The "files" entries of a pack manifest as "sha256 name" lines. Each entry is an object of plain fields
# ({"name": ..., "sha256": ..., "bytes": ...}), so splitting the array at "}" gives one entry per line.
manifest_files() {
  tr -d '\r\n' <"$1" |
    sed -n 's/.*"files" *: *\[\([^]]*\)\].*/\1/p' |
    tr '}' '\n' |
    while IFS= read -r entry; do
      local name sha
      name=$(sed -n 's/.*"name" *: *"\([^"]*\)".*/\1/p' <<<"$entry")
      sha=$(sed -n 's/.*"sha256" *: *"\([0-9A-Fa-f]\{64\}\)".*/\1/p' <<<"$entry")
      if [ -z "$name" ] && [ -z "$sha" ]; then continue; fi
      [ -n "$name" ] && [ -n "$sha" ] || die "manifest entry without a name or a sha256: $entry"
      printf '%s %s\n' "$sha" "$name"
    done
}

safe_name "$MODEL_PACK" || die "MODEL_PACK must be one folder name, not '$MODEL_PACK'"
mkdir -p "$MODELS_DIR/pack" "$MODELS_DIR/assets"

TOKEN=$(access_token)
[ -n "$TOKEN" ] || die "the managed identity endpoint returned no access token"

log "model pack $MODEL_PACK from $MODEL_CONTAINER_URL"
download "$MODEL_PACK/manifest.json" "$MODELS_DIR/pack/manifest.json"
files=$(manifest_files "$MODELS_DIR/pack/manifest.json")
[ -n "$files" ] || die "$MODEL_PACK/manifest.json lists no files"
while read -r sha name; do
  safe_name "$name" || die "unsafe file name in the manifest: '$name'"
  download "$MODEL_PACK/$name" "$MODELS_DIR/pack/$name" "$sha"
done <<<"$files"

download assets/bpe_simple_vocab_16e6.txt "$MODELS_DIR/assets/bpe_simple_vocab_16e6.txt" "$VOCABULARY_SHA256"
download assets/u2netp.onnx "$MODELS_DIR/assets/u2netp.onnx" "$MASK_MODEL_SHA256"

log "done: $(wc -l <<<"$files") pack files and 2 assets verified"
