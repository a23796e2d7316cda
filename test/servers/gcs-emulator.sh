#!/usr/bin/env bash
# Google's Cloud Storage emulator (from the pinned firebase-tools devDependency of test/, no Java) for
# the test suites, on 127.0.0.1 and a free port.
#
#   gcs-emulator.sh start <state-dir>   starts it in the background, waits (bounded) until it answers
#                                       HTTP, prints KEY=VALUE lines for test/run.mjs:
#                                         CKPT_TEST_GCS_ENDPOINT=http://127.0.0.1:PORT
#                                         CKPT_TEST_GCS_PROJECT=ckptkit-test
#   gcs-emulator.sh stop <state-dir>    stops it by the pid recorded at start, removes its blobs
#
# The server runs as `nohup node ... > <state-dir>/log 2>&1 < /dev/null &`: it never holds the
# caller's stdout/stderr, so a CI step that captures them ends when it should.
# Env: CKPT_GCS_EMULATOR_WAIT (seconds, default 30), CKPT_TEST_GCS_PROJECT (default ckptkit-test).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cmd="${1:-}"
dir="${2:-}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop <state-dir>" >&2
  exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/pid"
project="${CKPT_TEST_GCS_PROJECT:-ckptkit-test}"
wait_s="${CKPT_GCS_EMULATOR_WAIT:-30}"

# True when $1 is a live process started from our launcher (a recycled pid is left alone).
ours() {
  [[ -n "$1" && -r "/proc/$1/cmdline" ]] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q 'gcs-emulator\.mjs'
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
      echo "gcs emulator (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile" "$dir/port" "$dir/port.tmp"
  rm -rf "$dir/firebase"
}

start() {
  stop # a server left over from an interrupted run, recorded in the same state dir
  if ! (cd "$here/.." && node -e "require.resolve('firebase-tools/lib/emulator/storage')") 2>/dev/null; then
    echo "firebase-tools is not installed in test/ (it is a pinned devDependency of @ckptkit/test): run pnpm install" >&2
    exit 1
  fi
  : > "$dir/log"
  TMPDIR="$dir" nohup node "$here/gcs-emulator.mjs" "$dir" "$project" > "$dir/log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$pidfile"
  local deadline=$((SECONDS + wait_s))
  while [[ ! -s "$dir/port" ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "gcs emulator exited during startup; its log:" >&2
      cat "$dir/log" >&2
      rm -f "$pidfile"
      exit 1
    fi
    if (( SECONDS >= deadline )); then
      echo "gcs emulator did not answer within ${wait_s} s; its log:" >&2
      cat "$dir/log" >&2
      stop
      exit 1
    fi
    sleep 0.1
  done
  echo "CKPT_TEST_GCS_ENDPOINT=http://127.0.0.1:$(cat "$dir/port")"
  echo "CKPT_TEST_GCS_PROJECT=$project"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop <state-dir>" >&2
    exit 2
    ;;
esac
