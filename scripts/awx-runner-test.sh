#!/usr/bin/env bash
# Run the AWX tests (tests/awx): the Deploy job through ansible-runner against LocalStack, bad survey
# answers, the example inventory, and `ansible-builder create`. LocalStack is started (and stopped
# again) by the tests' fixture through scripts/emulators.sh when it is not already up.
#
#   scripts/awx-runner-test.sh                 # all of tests/awx
#   scripts/awx-runner-test.sh -k deploy       # extra arguments go to pytest
#   BUCKETGUARD_LOCALSTACK_PORT=4591 scripts/awx-runner-test.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -x .venv/bin/pytest ] || { echo "awx-runner-test: no .venv: run 'make setup' first" >&2; exit 1; }
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
exec pytest -q -m awx tests/awx "$@"
