#!/usr/bin/env python3
"""Write the deployer role's shipped files from plugins/module_utils/deployer_policy.py.

    python scripts/render_deployer_policy.py          # writes files/iam/deployer-policy.json and deployer-role.cfn.yml
    python scripts/render_deployer_policy.py --check  # exit 1 when they are not current

The data (modules -> IAM actions, the policy's statements) lives in deployer_policy.py only;
tests/unit/test_deployer_policy.py fails when these files were not re-rendered after a change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".collections"))

import yaml  # noqa: E402
from ansible_collections.bucketguard.visibility.plugins.module_utils import deployer_policy  # noqa: E402

CFN_HEADER = """---
# bucketguard deployer role as a CloudFormation template (usable as a StackSet: one stack per account).
# Rendered by scripts/render_deployer_policy.py from plugins/module_utils/deployer_policy.py; do not edit.
# docs/deployer.md explains the permissions, the trust (TrustedPrincipalArn, ExternalId) and iam:PassRole.
"""


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key (yamllint's default)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def rendered() -> dict[Path, str]:
    cfn = yaml.dump(
        deployer_policy.cfn_template(), Dumper=_Dumper, sort_keys=False, width=150, default_flow_style=False
    )
    return {
        ROOT / "files/iam/deployer-policy.json": deployer_policy.policy_json(),
        ROOT / "files/iam/deployer-role.cfn.yml": CFN_HEADER + cfn,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the files are current")
    args = parser.parse_args()
    stale = []
    for path, text in rendered().items():
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.write_text(text)
    verb = "stale" if args.check else "written"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
