#!/usr/bin/env bash
# Start, stop and inspect the local AWS emulators that the tests and `make demo` use.
#
#   scripts/emulators.sh up     [localstack|moto|all]   start (idempotent), wait until healthy
#   scripts/emulators.sh down   [localstack|moto|all]   stop by PID (SIGINT, SIGTERM, then SIGKILL)
#   scripts/emulators.sh status [localstack|moto|all]   exit 0 when all named are up
#   scripts/emulators.sh env                             print the export lines for the endpoints
#
# No Docker engine is needed: LocalStack runs in host mode from .venv-localstack, moto server
# from .venv (both created by `make setup`). Both listen on 127.0.0.1 only.
#
# Settings (environment):
#   BUCKETGUARD_LOCALSTACK_PORT  default 4566
#   BUCKETGUARD_MOTO_PORT        default 5055
#   BUCKETGUARD_EMULATOR_DIR     default <repo>/.emulators  (pid files, logs, LocalStack state)
#   BUCKETGUARD_EMULATOR_STOP_GRACE  seconds to wait after each stop signal (default 10)
# State lives in a folder per port, so several checkouts or test runs can use different ports.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LS_PORT=${BUCKETGUARD_LOCALSTACK_PORT:-4566}
MOTO_PORT=${BUCKETGUARD_MOTO_PORT:-5055}
BASE=${BUCKETGUARD_EMULATOR_DIR:-$ROOT/.emulators}
LS_VENV=${BUCKETGUARD_LOCALSTACK_VENV:-$ROOT/.venv-localstack}
MOTO_VENV=${BUCKETGUARD_VENV:-$ROOT/.venv}

die() { echo "emulators: $*" >&2; exit 1; }
log() { echo "emulators: $*" >&2; }

dir_of() { # service -> state folder
  case $1 in
    localstack) echo "$BASE/localstack-$LS_PORT" ;;
    moto) echo "$BASE/moto-$MOTO_PORT" ;;
  esac
}
url_of() {
  case $1 in
    localstack) echo "http://127.0.0.1:$LS_PORT" ;;
    moto) echo "http://127.0.0.1:$MOTO_PORT" ;;
  esac
}
health_path() {
  case $1 in
    localstack) echo "/_localstack/health" ;;
    moto) echo "/moto-api/" ;;
  esac
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

read_pid() {
  local f
  f="$(dir_of "$1")/pid"
  [ -f "$f" ] && cat "$f" || true
}

healthy() {
  python3 - "$(url_of "$1")$(health_path "$1")" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

start_one() {
  local svc=$1 d pid
  d=$(dir_of "$svc")
  mkdir -p "$d"
  pid=$(read_pid "$svc")
  if pid_alive "$pid" && healthy "$svc"; then
    log "$svc already up on $(url_of "$svc") (pid $pid)"
    return 0
  fi
  if pid_alive "$pid"; then
    log "$svc pid $pid is alive but not healthy: restarting it"
    stop_one "$svc"
  fi
  if healthy "$svc"; then
    die "something not started by this script already answers on $(url_of "$svc"); stop it or choose another port"
  fi
  case $svc in
    localstack)
      [ -x "$LS_VENV/bin/python" ] || die "no LocalStack venv at $LS_VENV: run 'make setup' first"
      mkdir -p "$d/state"
      # OVERRIDE_IN_DOCKER=0: these machines have /.dockerenv; without it LocalStack writes to
      # /var/lib/localstack. DISABLE_EVENTS=1: no analytics call. hypercorn keeps to 127.0.0.1.
      (
        cd "$d"
        env GATEWAY_LISTEN="127.0.0.1:$LS_PORT" GATEWAY_SERVER=hypercorn OVERRIDE_IN_DOCKER=0 \
          FILESYSTEM_ROOT="$d/state" DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
          LOCALSTACK_HOST="127.0.0.1:$LS_PORT" EAGER_SERVICE_LOADING=0 \
          PYTHONPATH="$ROOT/scripts/localstack_ext${PYTHONPATH:+:$PYTHONPATH}" \
          setsid "$LS_VENV/bin/python" -m bucketguard_localstack_boot >"$d/log" 2>&1 </dev/null &
        echo $! >"$d/pid"
      )
      ;;
    moto)
      [ -x "$MOTO_VENV/bin/moto_server" ] || die "no moto_server in $MOTO_VENV: run 'make setup' first"
      (
        cd "$d"
        setsid "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$d/log" 2>&1 </dev/null &
        echo $! >"$d/pid"
      )
      ;;
  esac
  pid=$(read_pid "$svc")
  local i
  for i in $(seq 1 120); do
    if healthy "$svc"; then
      log "$svc up on $(url_of "$svc") (pid $pid, log $d/log)"
      return 0
    fi
    pid_alive "$pid" || { tail -n 30 "$d/log" >&2 || true; die "$svc exited during start-up (log $d/log)"; }
    sleep 0.5
  done
  tail -n 30 "$d/log" >&2 || true
  stop_one "$svc"
  die "$svc did not become healthy within 60 s (log $d/log)"
}

stop_one() {
  local svc=$1 pid i
  pid=$(read_pid "$svc")
  if ! pid_alive "$pid"; then
    rm -f "$(dir_of "$svc")/pid"
    log "$svc not running"
    return 0
  fi
  # setsid made the server a process-group leader: signal the whole group. SIGINT first: LocalStack's
  # runtime shuts down on it as on Ctrl-C; then SIGTERM, and SIGKILL only if neither worked
  # (docs/emulators.md has the measured numbers). Each step waits up to $grace seconds.
  local sig grace=${BUCKETGUARD_EMULATOR_STOP_GRACE:-10} t0=$SECONDS
  for sig in INT TERM KILL; do
    [ "$sig" = KILL ] && log "$svc (pid $pid) did not stop on SIGINT nor SIGTERM: SIGKILL"
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 $((grace * 5))); do
      pid_alive "$pid" || break
      sleep 0.2
    done
    pid_alive "$pid" || break
  done
  rm -f "$(dir_of "$svc")/pid"
  log "$svc stopped (SIG$sig, $((SECONDS - t0)) s)"
}

status_one() {
  local svc=$1 pid
  pid=$(read_pid "$svc")
  if pid_alive "$pid" && healthy "$svc"; then
    echo "$svc: up $(url_of "$svc") pid $pid"
    return 0
  fi
  echo "$svc: down"
  return 1
}

services() {
  case ${1:-all} in
    all) echo "localstack moto" ;;
    localstack | moto) echo "$1" ;;
    *) die "unknown service '$1' (localstack, moto or all)" ;;
  esac
}

cmd=${1:-}
what=${2:-all}
case $cmd in
  up) for s in $(services "$what"); do start_one "$s"; done ;;
  down) for s in $(services "$what"); do stop_one "$s"; done ;;
  status)
    rc=0
    for s in $(services "$what"); do status_one "$s" || rc=1; done
    exit $rc
    ;;
  env)
    echo "export BUCKETGUARD_LOCALSTACK_URL=$(url_of localstack)"
    echo "export BUCKETGUARD_MOTO_URL=$(url_of moto)"
    ;;
  *) die "usage: $0 up|down|status [localstack|moto|all] | env" ;;
esac
