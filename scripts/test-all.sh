#!/usr/bin/env bash
# `make test`: lint, unit tests, every Molecule scenario; a summary at the end.
# Every stage runs even if an earlier one failed, so one run shows everything that is wrong.
# The emulators are started once for every stage and stopped at the end (nothing left running).
#
# Two lanes run side by side. On 2 cores the stages that need no emulator use one core (unit: 94 CPU-s in 98 s),
# and the emulator-backed ones leave part of the other idle (AWX: ~500 CPU-s in 328 s, LocalStack included,
# waiting on LocalStack or on one host's module). Lane 1 runs the stages that need no emulator, then the
# Molecule scenario on moto server (trail); lane 2 runs the LocalStack-backed suites. Lane 2 waits for lane 1
# before the inventory stage, which resets moto server's state, and before the other Molecule scenarios.
# Lane 1's output is kept in a log and printed after it, so the two do not interleave.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/bucketguard-test.XXXXXX")
stage() { # name command...   (appends "PASS|FAIL  name (N s)" to $SUMMARY)
  local name=$1 start
  shift
  start=$(date +%s)
  echo "=== $name ($(date -u +%H:%M:%S))"
  if "$@"; then
    echo "PASS  $name ($(( $(date +%s) - start )) s)" >>"$SUMMARY"
  else
    echo "FAIL  $name ($(( $(date +%s) - start )) s)" >>"$SUMMARY"
  fi
}

scenarios() {
  # Every scenario, `default` (the end-to-end one) last.
  local s list=()
  for s in molecule/*/molecule.yml; do
    s=${s#molecule/}; s=${s%/molecule.yml}
    [ "$s" = default ] || list+=("$s")
  done
  [ -f molecule/default/molecule.yml ] && list+=(default)
  echo "${list[@]}"
}

# The emulators are started once here and stopped at the end, whatever happens (lane 1 stopped too).
lane1=
trap '[ -n "$lane1" ] && kill -- "-$lane1" 2>/dev/null; scripts/emulators.sh down all >/dev/null 2>&1 || true; rm -rf "$RUN"' EXIT
export BUCKETGUARD_LOCALSTACK_URL="http://127.0.0.1:${BUCKETGUARD_LOCALSTACK_PORT:-4566}"

# Lane 1: no emulator, then the scenario on moto server (up long before: lane 2 starts the emulators while
# lane 1 lints). Each pytest run has its own temporary folder.
# (set -m: the lane is a process group of its own, so the trap above can stop all of it.)
set -m
(
  SUMMARY=$RUN/summary.1
  stage "lint: ruff format" ruff format --check .
  stage "lint: ruff check" ruff check .
  stage "lint: yamllint" yamllint -s .
  stage "lint: ansible-lint (production)" ansible-lint --offline -q
  stage "unit: pytest" pytest -q -p no:cacheprovider --basetemp="$RUN/unit" tests/unit
  # The notifier under injected faults, moto in-process (no server): "faults injected: N, alerts lost: 0".
  stage "faults: notifier fault injection (moto in-process)" \
    pytest -q -p no:cacheprovider --basetemp="$RUN/faults" tests/faults
  # Needs no emulator: every row of docs/bad-input.yml is refused before any AWS call (endpoint on a closed port).
  stage "bad input: docs/bad-input.yml through deploy.yml" \
    pytest -q -p no:cacheprovider --basetemp="$RUN/bad_input" -m bad_input tests/bad_input
  # moto server only (LocalStack's free edition has no CloudTrail); no other stage uses moto server until lane 2
  # has waited for this lane.
  # Lane 2 starts the emulators: wait for them (else run-molecule.sh would start moto server itself and stop it
  # at its end, under lane 2's feet).
  for _ in $(seq 600); do [ -f "$RUN/emulators.up" ] && break; sleep 1; done
  stage "molecule: trail (moto server)" scripts/run-molecule.sh trail
  touch "$RUN/lane1.done"
) >"$RUN/lane1.log" 2>&1 &
lane1=$!
set +m
echo "=== lint, unit, faults, bad input and molecule trail run beside these stages (output at the end)"
scripts/emulators.sh up all || exit 1
touch "$RUN/emulators.up"

# Lane 2: the LocalStack-backed suites share the one LocalStack started above.
SUMMARY=$RUN/summary.2
stage "awx: ansible-runner + ansible-builder" pytest -q -p no:cacheprovider --basetemp="$RUN/awx" -m awx tests/awx
stage "fleet: deploy, upgrade, verify, drift, teardown" \
  pytest -q -p no:cacheprovider --basetemp="$RUN/fleet" -m fleet tests/fleet
# The live smoke test against LocalStack (BUCKETGUARD_LIVE unset), so it cannot rot; users run it on AWS.
stage "live smoke (LocalStack)" \
  env -u BUCKETGUARD_LIVE pytest -q -p no:cacheprovider --basetemp="$RUN/live" -m live tests/live
stage "audit: audit.yml on LocalStack, report in headless Chromium" \
  pytest -q -p no:cacheprovider --basetemp="$RUN/audit" -m audit tests/audit
# Organisation mode: hub + 2 members + the log account x 2 regions, a public bucket followed to the hub's mailbox.
stage "hub: organisation mode on LocalStack (hub, members, log account)" \
  pytest -q -p no:cacheprovider --basetemp="$RUN/hub" -m hub tests/hub
waited=$(date +%s)
wait "$lane1"
lane1=
echo "=== (waited $(( $(date +%s) - waited )) s for lane 1)"
stage "inventory: aws_organization on moto, a deploy on LocalStack" \
  pytest -q -p no:cacheprovider --basetemp="$RUN/inventory" -m inventory tests/inventory
others=$(scenarios)
others=$(echo " $others " | sed 's/ trail / /; s/^ *//; s/ *$//')
stage "molecule: $others" scripts/run-molecule.sh $others

echo
echo "=== Lane 1 output (lint, unit, faults, bad input, molecule trail)"
cat "$RUN/lane1.log"
echo
echo "=== Summary"
rc=0
cat "$RUN/summary.1" "$RUN/summary.2" 2>/dev/null | sed 's/^/  /'
grep -q '^FAIL' "$RUN/summary.1" "$RUN/summary.2" 2>/dev/null && rc=1
[ -f "$RUN/lane1.done" ] || { echo "  FAIL  lane 1 did not finish"; rc=1; }
exit $rc
