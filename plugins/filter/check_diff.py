# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: check_diff
short_description: What an upstream module without a diff would change, from its check-mode answer
version_added: 0.3.0
description:
  - M(amazon.aws.cloudwatch_metric_alarm), M(amazon.aws.lambda) and M(community.aws.sns_topic) report C(changed)
    in check mode but return no diff. From the registered answer of such a task (and, for the function, what
    M(amazon.aws.lambda_info) read), this filter gives C(name), C(before) and C(after) of what would change,
    for M(bucketguard.visibility.compare) to show (C(plugins/module_utils/drift.py)).
  - A task the module did not report changed, or that was skipped, gives empty C(before) and C(after).
  - The upstream task must return its options - set C(ansible_inject_invocation=true) in its C(vars)
    (ansible-core 2.21 no longer adds C(invocation) to results by default); without them the values it
    would set are unknown and the filter shows no change (the upstream task still reports its own).
options:
  _input:
    description: "The registered result of the upstream task (one item of its C(results) for a loop)."
    type: dict
    required: true
  kind:
    description: "C(metric_alarm), C(lambda) or C(sns_topic): which module answered."
    type: str
    required: true
    choices: [metric_alarm, lambda, sns_topic]
  read:
    description: "For C(lambda): C(lambda_info)'s C(functions[0]) (the function as it is), empty when there is none."
    type: dict
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Manage an alarm
  amazon.aws.cloudwatch_metric_alarm:
    name: my-alarm
    namespace: AWS/Lambda
    metric_name: Errors
    statistic: Sum
    comparison: GreaterThanOrEqualToThreshold
    threshold: 1.0
    period: 300
    evaluation_periods: 1
  register: alarm_result
  vars:
    ansible_inject_invocation: true

- name: Show what would change on the alarm (check mode)
  bucketguard.visibility.compare:
    name: "{{ (alarm_result | bucketguard.visibility.check_diff('metric_alarm')).name }}"
    before: "{{ (alarm_result | bucketguard.visibility.check_diff('metric_alarm')).before }}"
    after: "{{ (alarm_result | bucketguard.visibility.check_diff('metric_alarm')).after }}"
  when: ansible_check_mode
"""

RETURN = r"""
_value:
  description: "C(name) (the resource, for the diff's header), C(before) and C(after)."
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bucketguard.visibility.plugins.module_utils import drift as _drift


def check_diff(result, kind, read=None):
    if kind == "metric_alarm":
        return _drift.alarm_change(dict(result or {}))
    if kind == "lambda":
        return _drift.lambda_change(dict(result or {}), dict(read or {}))
    if kind == "sns_topic":
        return _drift.sns_topic_change(dict(result or {}))
    raise AnsibleFilterError(f"check_diff: kind must be metric_alarm, lambda or sns_topic, got {kind!r}")


class FilterModule:
    def filters(self):
        return {"check_diff": check_diff}
