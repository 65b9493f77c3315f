# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: drift
short_description: What differs between what a role would make and what AWS returned
version_added: 0.2.0
description:
  - One sentence per difference, naming the resource (C(plugins/module_utils/drift.py)). Used by the roles'
    C(tasks/verify.yml) to fill C(bucketguard_drift), which C(playbooks/verify.yml) reports.
options:
  _input:
    description: What AWS returned (the reader's or C(*_info) module's answer, see O(kind)).
    type: raw
    required: true
  kind:
    description:
      - C(rule) - the fast-path rule (the reader's answer); C(function) - the notifier function (C(lambda_info)).
      - C(alarms) - C(cloudwatch_metric_alarm_info)'s C(metric_alarms); C(roles) - C(iam_role_info)'s C(iam_roles).
      - C(topic) - C(community.aws.sns_topic_info)'s C(result.sns_topic) (C(plugins/module_utils/sns_topic.py)).
      - C(dashboards) - a list of C(cloudwatch_dashboard) check-mode results with diff, O(wanted) their names
        (C(plugins/module_utils/dashboard_body.py)).
      - C(queues) - C(sqs_queue_attributes) answers (a loop's C(results)); C(mapping) - C(lambda_event_source_mapping)
        in check mode; C(table) - C(dynamodb_table_info)'s C(table).
      - C(alarm_role) - the alarm role's filters and alarms ({filters, filters_error, alarms}, see
        C(alarm_role_findings)); C(tested_records) - C(cloudwatchlogs_test_metric_filter)'s C(matched_event_numbers),
        O(wanted) {records, object_acl, create_bucket}.
    type: str
    required: true
    choices: [rule, function, alarms, roles, topic, dashboards, queues, mapping, table, alarm_role, tested_records]
  wanted:
    description: What the role would make (see C(plugins/module_utils/drift.py) for each kind's keys).
    type: raw
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
findings: "{{ probe | bucketguard.visibility.drift('rule', {'name': 'r', 'pattern': {}, 'target': {'arn': 'arn:x'}}) }}"
"""

RETURN = r"""
_value:
  description: Findings, one sentence each; empty when nothing differs.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bucketguard.visibility.plugins.module_utils import drift as _drift
from ansible_collections.bucketguard.visibility.plugins.module_utils.dashboard_body import verify_findings
from ansible_collections.bucketguard.visibility.plugins.module_utils.sns_topic import topic_findings

_KINDS = {
    "rule": _drift.rule_findings,
    "function": _drift.function_findings,
    "alarms": _drift.alarm_findings,
    "roles": _drift.role_findings,
    "topic": topic_findings,
    "dashboards": verify_findings,
    "queues": _drift.queue_findings,
    "mapping": _drift.mapping_findings,
    "table": _drift.table_findings,
    "alarm_role": _drift.alarm_role_findings,
    "tested_records": lambda matched, wanted: _drift.pattern_test_findings(
        list(matched or []), list(wanted["records"]), bool(wanted["object_acl"]), bool(wanted["create_bucket"])
    ),
}


def drift(found, kind, wanted):
    if kind not in _KINDS:
        raise AnsibleFilterError(f"drift: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    return _KINDS[kind](found if found is not None else {}, wanted)


def fleet_report(hosts, alive):
    return _drift.fleet_report(dict(hosts), list(alive))


class FilterModule:
    def filters(self):
        return {"drift": drift, "fleet_report": fleet_report}
