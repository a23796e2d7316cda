#!/usr/bin/env bash
# Azurite, the official Azure Storage emulator (blob service only), for the test suites, on
# 127.0.0.1 and a free port, all data in memory, telemetry off.
#
#   azurite.sh start <state-dir>   installs the pinned azurite from the npm registry into a cache if
#                                  it is not there yet, starts azurite-blob in the background, waits
#                                  (bounded) until it answers HTTP, prints KEY=VALUE lines for
#                                  test/run.mjs:
#                                    CKPT_TEST_AZURE_CONNECTION_STRING=DefaultEndpointsProtocol=http;...
#   azurite.sh stop <state-dir>    stops it by the pid recorded at start (its data goes with it)
#
# Pinned: azurite 3.37.0, the first release whose List Blobs honours `startfrom`; it needs Node >= 22
# (3.35.0 was the last for Node 20), so an older `node` on PATH is replaced by the Node 24 that
# cli/bin/node-runtime.cjs keeps in its cache. --skipApiVersionCheck: @azure/storage-blob 12.34
# speaks service version 2026-10-06, Azurite 3.37 knows 2026-06-06 and would answer every request
# 400 InvalidHeaderValue. The account is Azurite's well-known development account (devstoreaccount1
# and its published key: not a secret).
#
# The server runs as `nohup node ... > <state-dir>/log 2>&1 < /dev/null &`: it never holds the
# caller's stdout/stderr, so a CI step that captures them ends when it should.
# Env: CKPT_AZURITE_WAIT (seconds, default 60), CKPT_AZURITE_CACHE (install folder, default
# ~/.cache/ckptkit/azurite/<version>), CKPT_AZURITE_MEMORY_MB (in-memory data cap, default 4096),
# CKPT_AZURITE_GC_INTERVAL_MS (Azurite's blob garbage collection, default 24 h: see azurite-gc.cjs,
# a preload, for why a test run must not collect).
set -euo pipefail

VERSION=3.37.0
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cmd="${1:-}"
dir="${2:-}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop <state-dir>" >&2
  exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/pid"
wait_s="${CKPT_AZURITE_WAIT:-60}"
cache="${CKPT_AZURITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ckptkit/azurite/$VERSION}"
memory_mb="${CKPT_AZURITE_MEMORY_MB:-4096}"
main_js="$cache/node_modules/azurite/dist/src/blob/main.js"

# True when $1 is a live process started from our azurite (a recycled pid is left alone).
ours() {
  [[ -n "$1" && -r "/proc/$1/cmdline" ]] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q 'azurite/dist/src/blob/main\.js'
}

stop() {
  local pid=""
  [[ -f "$pidfile" ]] && pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      ours "$pid" || break
      sleep 0.2
    done
    if ours "$pid"; then
      echo "azurite (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# The Node to run Azurite under: the one on PATH when it is 22 or later, else the cached Node 24.
node_bin() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if (( major >= 22 )); then
    command -v node
  else
    node "$repo/cli/bin/node-runtime.cjs" path 24
  fi
}

install() {
  [[ -f "$main_js" ]] && return 0
  echo "installing azurite@$VERSION into $cache" >&2
  local tmp="$cache.tmp-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # An install into a fresh folder, renamed into place: an interrupted one is never taken for whole.
  if ! npm install --prefix "$tmp" --no-audit --no-fund --omit=dev --ignore-scripts --engine-strict=false "azurite@$VERSION" > "$dir/install.log" 2>&1; then
    echo "npm install azurite@$VERSION failed; its log:" >&2
    cat "$dir/install.log" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  mv "$tmp" "$cache"
}

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); });'
}

# Starts azurite on port $1 and waits for it; returns 1 when the port was taken between the pick and
# the bind (the pick is an ephemeral port, so any outgoing connection can take it meanwhile).
launch() {
  local node=$1 port=$2
  : > "$dir/log"
  nohup "$node" --require "$here/azurite-gc.cjs" "$main_js" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --extentMemoryLimit "$memory_mb" \
    --disableTelemetry --skipApiVersionCheck --silent > "$dir/log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$pidfile"
  local deadline=$((SECONDS + wait_s))
  # Any HTTP answer from Azurite (an unsigned listing is refused) means the blob service is up; the
  # Server header tells it from another program that took the port, and a probe gives up after 2 s.
  local probe='require("node:http").get(process.argv[1], { timeout: 2000 }, (r) => process.exit(/^Azurite/.test(r.headers.server ?? "") ? 0 : 1)).on("timeout", () => process.exit(1)).on("error", () => process.exit(1))'
  until "$node" -e "$probe" "http://127.0.0.1:$port/$ACCOUNT?comp=list" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      grep -q EADDRINUSE "$dir/log" && return 1
      echo "azurite exited during startup; its log:" >&2
      cat "$dir/log" >&2
      exit 1
    fi
    if (( SECONDS >= deadline )); then
      echo "azurite did not answer within ${wait_s} s; its log:" >&2
      cat "$dir/log" >&2
      stop
      exit 1
    fi
    sleep 0.1
  done
}

start() {
  stop # a server left over from an interrupted run, recorded in the same state dir
  install
  local node port attempt
  node="$(node_bin)"
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    launch "$node" "$port" && break
    echo "azurite: 127.0.0.1:$port was taken before azurite bound it (attempt $attempt)" >&2
    if (( attempt == 5 )); then
      cat "$dir/log" >&2
      exit 1
    fi
  done
  echo "CKPT_TEST_AZURE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$port/$ACCOUNT;"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop <state-dir>" >&2
    exit 2
    ;;
esac
