#!/usr/bin/env python3
"""Print the numbers issue 11 ("one contract, written once, in Python") measures, for before/after notes.

    .venv/bin/python scripts/contract-metrics.py

- `{%` statement lines in roles/ and playbooks/ (templates/ excluded: a Jinja template may use them);
- lines of roles/*/vars/main.yml;
- places that spell out the list of watched S3 calls (a YAML or Python list holding PutBucketPolicy,
  PutBucketAcl and PutBucketPublicAccessBlock) outside tests;
- SNS topic ARN and log group name regexes written in roles/, playbooks/, plugins/, files/ (the one copy is
  plugins/module_utils/contract.py; the notifier imports it from its zip, where notifier_package puts it);
- lines of molecule/*/molecule.yml.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("roles", "playbooks", "plugins", "files")
SNS_RE = re.compile(r":sns:[\[(]")
LOG_GROUP_RE = re.compile(
    r"\[[^\]]*(?:\\\.\\-_/#|_/\.#-|\._/#-|\.\\-_/#|A-Za-z0-9_/\.#-|A-Za-z0-9\._/#-)[^\]]*\]\{1,512\}"
)


def files(*folders: str, suffixes: tuple[str, ...] = (".yml", ".yaml", ".py", ".j2")) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*") if p.is_file() and p.suffix in suffixes)


def main() -> None:
    jinja = [p for p in files("roles", "playbooks") if "templates" not in p.parts]
    statements = sum(line.count("{%") > 0 for p in jinja for line in p.read_text().splitlines())
    vars_lines = sum(len(p.read_text().splitlines()) for p in (ROOT / "roles").glob("*/vars/main.yml"))
    lists = [
        p.relative_to(ROOT)
        for p in files(*SOURCES)
        if all(name in p.read_text() for name in ("PutBucketPolicy", "PutBucketAcl", "PutBucketPublicAccessBlock"))
        and re.search(r"^\s*(-\s*PutBucketPolicy|\"PutBucketPolicy\",)\s*$", p.read_text(), re.M)
    ]
    sns = [(p.relative_to(ROOT), n) for p in files(*SOURCES) if (n := len(SNS_RE.findall(p.read_text())))]
    groups = [(p.relative_to(ROOT), n) for p in files(*SOURCES) if (n := len(LOG_GROUP_RE.findall(p.read_text())))]
    molecule = sum(len(p.read_text().splitlines()) for p in (ROOT / "molecule").glob("*/molecule.yml"))
    print(f"{{% lines in roles/ and playbooks/ (templates/ excluded): {statements}")
    print(f"lines of roles/*/vars/main.yml: {vars_lines}")
    print(f"places listing the watched S3 calls: {len(lists)} {[str(p) for p in lists]}")
    print(f"SNS topic ARN regexes: {sum(n for _, n in sns)} {[f'{p}:{n}' for p, n in sns]}")
    print(f"log group name regexes: {sum(n for _, n in groups)} {[f'{p}:{n}' for p, n in groups]}")
    print(f"lines of molecule/*/molecule.yml: {molecule}")


if __name__ == "__main__":
    main()
