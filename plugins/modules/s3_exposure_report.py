#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_exposure_report
short_description: Write the fleet audit report (audit.json, audit.html, audit.md) from s3_exposure_audit results
version_added: 0.2.0
description:
  - Builds the fleet report from the per-account results of M(bucketguard.visibility.s3_exposure_audit)
    (C(plugins/module_utils/audit_report.py), pure Python) and writes it to O(dest) as C(audit.json)
    (for machines and the next run), C(audit.html) (for people) and C(audit.md) (for tickets and chat).
  - With O(previous), the report says which buckets became public, stopped being public, appeared and disappeared.
  - Files are written only when their content changed, not counting the generation time; otherwise they are left
    as they are and the module reports no change. Runs on the controller; makes no AWS call.
options:
  dest:
    description: Folder for the three files; created when missing.
    type: path
    required: true
  accounts:
    description:
      - One item per account, as returned by M(bucketguard.visibility.s3_exposure_audit) (C(account_id),
        C(complete), C(errors), C(buckets)), optionally with C(home_region). An account that could not be
        audited at all is C({account_id, complete=false, errors=[why]}).
    type: list
    elements: dict
    required: true
  previous:
    description: Path of an earlier C(audit.json) to compare with ("since last time").
    type: path
  generated_at:
    description: The report's time (ISO 8601, UTC); the current time when omitted.
    type: str
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write the audit report
  bucketguard.visibility.s3_exposure_report:
    dest: /var/lib/bucketguard/audit
    accounts: "{{ [audit_a, audit_b] }}"
    previous: /var/lib/bucketguard/audit-last-week/audit.json
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: The paths of the three files.
  returned: always
  type: dict
  sample: {"json": "/srv/audit/audit.json", "html": "/srv/audit/audit.html", "md": "/srv/audit/audit.md"}
written:
  description: The files written (or that would be in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/srv/audit/audit.json"]
generated_at:
  description: The report's time.
  returned: always
  type: str
  sample: "2026-12-01T08:00:00Z"
totals:
  description: Counts over the whole fleet.
  returned: always
  type: dict
  sample: {"total": 12, "public": 3, "public_not_allowlisted": 2, "allowlisted": 1, "undecided": 1, "private": 8,
           "accounts": 2, "accounts_incomplete": 0}
accounts:
  description: Per account, the same counts, whether it was read completely, and its errors.
  returned: always
  type: list
  elements: dict
  sample: [{"account_id": "123456789012", "complete": true, "errors": [], "total": 6, "public": 2}]
since_last_time:
  description: Changes since O(previous) (lists of buckets per kind of change), null without O(previous).
  returned: always
  type: dict
  sample: {"became_public": [], "stopped_being_public": [], "appeared": [], "disappeared": [], "changes": 0}
digests:
  description: Per account id, the digest e-mail (C(subject), C(body)) the audit playbook can publish.
  returned: always
  type: dict
  sample: {"123456789012": {"subject": "bucketguard audit 123456789012: 1 public bucket(s) not allow-listed",
           "body": "..."}}
"""

import json
import os
import tempfile
from datetime import UTC, datetime

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bucketguard.visibility.plugins.module_utils import audit_report

NAMES = {"json": "audit.json", "html": "audit.html", "md": "audit.md"}


def renderings(report):
    return {
        "json": audit_report.render_json(report),
        "html": audit_report.render_html(report),
        "md": audit_report.render_markdown(report),
    }


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def previous_time(path):
    """The generation time of the report already in ``dest`` (None when there is none)."""
    try:
        value = json.loads(read_text(path) or "").get("generated_at")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def write_atomically(path, text):
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".audit-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_previous(module, path):
    try:
        with open(path, encoding="utf-8") as f:
            return audit_report.check_previous(json.load(f))
    except OSError as exc:
        module.fail_json(msg=f"previous: cannot read {path}: {exc.strerror}")
    except ValueError as exc:
        module.fail_json(msg=f"previous: {path} is not a usable audit.json: {exc}")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            accounts=dict(type="list", elements="dict", required=True),
            previous=dict(type="path"),
            generated_at=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    if os.path.exists(dest) and not os.path.isdir(dest):
        module.fail_json(msg=f"dest: {dest} exists and is not a folder")
    previous = load_previous(module, module.params["previous"]) if module.params["previous"] else None
    generated_at = module.params["generated_at"] or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    accounts = module.params["accounts"]
    report = audit_report.build_report(accounts, generated_at, previous)
    texts = renderings(report)
    paths = {kind: os.path.join(dest, name) for kind, name in NAMES.items()}
    # Unchanged content = the files already there are exactly this report rendered at their own time.
    earlier = previous_time(paths["json"])
    same = renderings(audit_report.build_report(accounts, earlier, previous)) if earlier else {}
    written = [paths[k] for k in NAMES if read_text(paths[k]) != same.get(k, texts[k]) or k not in same]
    if not written:
        report, generated_at = audit_report.build_report(accounts, earlier, previous), earlier
    if written and not module.check_mode:
        try:
            os.makedirs(dest, exist_ok=True)
            for kind in NAMES:
                if paths[kind] in written:
                    write_atomically(paths[kind], texts[kind])
        except OSError as exc:
            module.fail_json(msg=f"dest: cannot write the report in {dest}: {exc}")

    module.exit_json(
        changed=bool(written),
        files=paths,
        written=written,
        generated_at=generated_at,
        totals=report["totals"],
        accounts=report["accounts"],
        since_last_time=report["since_last_time"],
        digests={a["account_id"]: audit_report.digest(report, a["account_id"]) for a in report["accounts"]},
    )


if __name__ == "__main__":
    main()
