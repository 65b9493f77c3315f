# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: notifier_policy
short_description: The notifier role's least-privilege IAM policy
version_added: 0.3.0
description:
  - Every action the notifier calls, each on its own resources (C(plugins/module_utils/notifier_policy.py));
    the C(notifier_lambda) role sets it as the role's inline policy.
options:
  _input:
    description: The partition (C(bucketguard_partition)).
    type: str
    required: true
  account_id:
    description: The account.
    type: str
    required: true
  region:
    description: The home region (the notifier, its log group, the trail's log group, the queues and the table).
    type: str
    required: true
  log_group:
    description: The notifier's own log group.
    type: str
    required: true
  trail_log_group:
    description: The trail's log group (the alarm path reads records from it).
    type: str
    required: true
  topic_arn:
    description: The topic the notifier publishes to.
    type: str
    required: true
  failure_destination_arn:
    description: The asynchronous on-failure destination (a queue, or a topic).
    type: str
    required: true
  dead_letter_arn:
    description: The dead-letter queue.
    type: str
    required: true
  buffer_queue_arn:
    description: The buffer queue the notifier reads (and sends a batch back to, inside the digest window).
    type: str
    required: true
  table_arn:
    description: The dedup table.
    type: str
    required: true
  remediate:
    description: Allow re-enabling Block Public Access on a bucket.
    type: bool
    default: false
  topic_kms_key_arn:
    description: The topic's customer-managed key, if any.
    type: str
    default: ""
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
policy_json: >-
  {{ 'aws' | bucketguard.visibility.notifier_policy(account_id='111111111111', region='eu-west-3',
     log_group='/aws/lambda/bucketguard-notifier', trail_log_group='/bucketguard/cloudtrail',
     topic_arn=topic, failure_destination_arn=dlq, dead_letter_arn=dlq, buffer_queue_arn=buffer, table_arn=table)
     | to_json }}
"""

RETURN = r"""
_value:
  description: The policy document, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.notifier_policy import (
    hub_notifier_policy,
    notifier_policy,
)


def _filter(partition, **kwargs):
    kwargs["remediate"] = str(kwargs.get("remediate", False)).lower() in ("true", "yes", "1", "on")
    return notifier_policy(str(partition), **{k: v if isinstance(v, bool) else str(v) for k, v in kwargs.items()})


class FilterModule:
    def filters(self):
        # notifier_policy_hub: policy | notifier_policy_hub(partition, reader_role_name) - the hub's extra statement.
        return {"notifier_policy": _filter, "notifier_policy_hub": hub_notifier_policy}
