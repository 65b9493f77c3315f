#!/usr/bin/env bash
# Create the virtual environments (idempotent) and link the checkout as the collection
# bucketguard.visibility. Pinned versions: requirements/dev.txt, requirements/localstack.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

find_python313() {
  local c
  # 1. python3.13 on PATH, if it really runs (pyenv's shim may exist and still fail)
  if c=$(command -v python3.13 2>/dev/null) && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
    echo "$c"; return 0
  fi
  # 2. pyenv's installed versions
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for c in "$root"/versions/3.13*/bin/python3.13; do
    if [ -x "$c" ] && "$c" -c 'import sys' 2>/dev/null; then echo "$c"; return 0; fi
  done
  # 3. common system locations
  for c in /usr/local/bin/python3.13 /usr/bin/python3.13; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  echo "setup: no usable Python 3.13 found (ansible-core 2.21 needs >= 3.12, LocalStack 2026.3 needs 3.13)." >&2
  echo "setup: install it (e.g. 'pyenv install 3.13') and run 'make setup' again." >&2
  return 1
}

make_venv() { # folder requirements-file
  local venv=$1 req=$2 stamp
  stamp="$venv/.bucketguard-requirements"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
    echo "setup: $venv is up to date"
    return 0
  fi
  local py
  py=$(find_python313)
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  echo "setup: installing $req into $venv (pinned)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
}

make_venv .venv requirements/dev.txt
make_venv .venv-localstack requirements/localstack.txt

# The checkout is the collection: link it where ansible.cfg's collections_path looks.
mkdir -p .collections/ansible_collections/bucketguard
ln -sfn ../../.. .collections/ansible_collections/bucketguard/visibility
echo "setup: collection bucketguard.visibility -> $(readlink -f .collections/ansible_collections/bucketguard/visibility)"
