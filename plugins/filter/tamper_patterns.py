# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tamper_patterns
short_description: CloudWatch Logs patterns of the calls that disable or blind bucketguard itself
version_added: 0.2.0
description:
  - One metric filter pattern per service (EventBridge, CloudWatch alarms, CloudWatch Logs, Lambda, SNS,
    CloudTrail, IAM) matching a successful call that deletes, disables, re-points or throttles one of the
    collection's own resources, named in O(_input) (C(plugins/module_utils/contract.py)). Calls on other
    resources and failed calls do not match.
options:
  _input:
    description:
      - The names of the collection's resources - C(prefix), C(rule), C(function), C(topic), C(trails) (a list,
        empty when the trail is not managed here), C(log_groups), C(roles).
    type: dict
    required: true
  ignore_roles:
    description: IAM role names whose sessions are not alarmed (for example the deployer role).
    type: list
    elements: str
    default: []
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
patterns: "{{ {'prefix': 'bucketguard', 'rule': 'r', 'function': 'f', 'topic': 't', 'trails': [], 'log_groups': ['/g'],
              'roles': ['x']} | bucketguard.visibility.tamper_patterns }}"
"""

RETURN = r"""
_value:
  description: Service label (events, cloudwatch, logs, lambda, sns, cloudtrail, iam) -> filter pattern.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import tamper_filter_patterns


def tamper_patterns(names, ignore_roles=()):
    try:
        return tamper_filter_patterns(dict(names), list(ignore_roles or ()))
    except (KeyError, ValueError) as exc:
        raise AnsibleFilterError(f"tamper_patterns: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"tamper_patterns": tamper_patterns}
