#!/usr/bin/env bash
# Run Molecule scenarios with the emulators started once for all of them and stopped at the end
# (even on failure or Ctrl-C). Usage: scripts/run-molecule.sh SCENARIO [SCENARIO ...]
# Prints one line per scenario and exits non-zero if any failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
[ $# -gt 0 ] || { echo "usage: $0 SCENARIO [SCENARIO ...]" >&2; exit 2; }
mkdir -p .emulators
# Stop at the end only what this script started (make test starts them once for every stage).
started=()
for svc in localstack moto; do
  if ! scripts/emulators.sh status "$svc" >/dev/null 2>&1; then
    scripts/emulators.sh up "$svc" || exit 1
    started+=("$svc")
  fi
done
trap 'for svc in "${started[@]}"; do scripts/emulators.sh down "$svc" >/dev/null 2>&1 || true; done' EXIT
export BUCKETGUARD_EMULATORS_KEEP=1
results=()
rc=0
for s in "$@"; do
  [ -f "molecule/$s/molecule.yml" ] || { echo "no scenario molecule/$s" >&2; results+=("FAIL $s (no such scenario)"); rc=1; continue; }
  start=$(date +%s)
  log=".emulators/molecule-$s.log"
  echo "=== molecule test -s $s (log: $log)"
  if molecule test -s "$s" >"$log" 2>&1; then
    results+=("PASS $s ($(( $(date +%s) - start )) s)")
  else
    tail -n 60 "$log"
    results+=("FAIL $s ($(( $(date +%s) - start )) s, log $log)")
    rc=1
  fi
done
echo "=== Molecule summary"
printf '  %s\n' "${results[@]}"
exit $rc
