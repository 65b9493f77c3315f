#!/usr/bin/env bash
# `make test`: lint, unit tests, every Molecule scenario; a summary at the end.
# Every stage runs even if an earlier one failed, so one run shows everything that is wrong.
# The emulators are started once for every stage and stopped at the end (nothing left running).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"

summary=()
rc=0
stage() { # name command...
  local name=$1 start
  shift
  start=$(date +%s)
  echo "=== $name"
  if "$@"; then
    summary+=("PASS  $name ($(( $(date +%s) - start )) s)")
  else
    summary+=("FAIL  $name ($(( $(date +%s) - start )) s)")
    rc=1
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

# The emulators are started once here and stopped at the end, whatever happens.
trap 'scripts/emulators.sh down all >/dev/null 2>&1 || true' EXIT
scripts/emulators.sh up all || exit 1
export BUCKETGUARD_LOCALSTACK_URL="http://127.0.0.1:${BUCKETGUARD_LOCALSTACK_PORT:-4566}"

stage "lint: ruff format" ruff format --check .
stage "lint: ruff check" ruff check .
stage "lint: yamllint" yamllint -s .
stage "lint: ansible-lint (production)" ansible-lint --offline -q
stage "unit: pytest" pytest -q tests/unit
# The notifier under injected faults, moto in-process (no server): "faults injected: N, alerts lost: 0".
stage "faults: notifier fault injection (moto in-process)" pytest -q tests/faults
# Needs no emulator: every row of docs/bad-input.yml is refused before any AWS call (endpoint on a closed port).
stage "bad input: docs/bad-input.yml through deploy.yml" pytest -q -m bad_input tests/bad_input
# The LocalStack-backed suites share the one LocalStack started above.
stage "awx: ansible-runner + ansible-builder" pytest -q -m awx tests/awx
stage "fleet: deploy, upgrade, verify, drift, teardown" pytest -q -m fleet tests/fleet
# The live smoke test against LocalStack (BUCKETGUARD_LIVE unset), so it cannot rot; users run it on AWS.
stage "live smoke (LocalStack)" env -u BUCKETGUARD_LIVE pytest -q -m live tests/live
stage "audit: audit.yml on LocalStack, report in headless Chromium" pytest -q -m audit tests/audit
stage "inventory: aws_organization on moto, a deploy on LocalStack" pytest -q -m inventory tests/inventory
# Organisation mode: hub + 2 members + the log account x 2 regions, a public bucket followed to the hub's mailbox.
stage "hub: organisation mode on LocalStack (hub, members, log account)" pytest -q -m hub tests/hub
# shellcheck disable=SC2046
stage "molecule: $(scenarios)" scripts/run-molecule.sh $(scenarios)

echo
echo "=== Summary"
printf '  %s\n' "${summary[@]}"
exit $rc
