#!/usr/bin/env bash
# `make demo`: the main job on the embedded default, for a newcomer with no AWS account.
# Starts LocalStack, deploys the stack to inventories/local (3 accounts × 2 regions), prints what
# it made, and stops LocalStack again (also on failure or Ctrl-C).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
trap 'scripts/emulators.sh down localstack >/dev/null 2>&1 || true' EXIT
scripts/emulators.sh up localstack
echo "== Standing in for an organisation trail: creating the CloudTrail log groups (LocalStack has no CloudTrail)"
ansible-playbook -i inventories/local scripts/local_trail_stand_in.yml
echo "== Deploying to inventories/local (LocalStack)"
ansible-playbook -i inventories/local playbooks/deploy.yml
