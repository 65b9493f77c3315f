# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sns_topic_policy
short_description: The alert topic's resource policy
version_added: 0.3.0
description:
  - The owner account manages the topic; the notifier role (this account, the listed accounts, or the
    organisation) and this account's CloudWatch alarms publish; nothing else is granted
    (C(plugins/module_utils/sns_topic.py)). The C(sns) role sets it and its C(verify.yml) compares it.
options:
  _input:
    description: The partition (C(bucketguard_partition)).
    type: str
    required: true
  region:
    description: The topic's region.
    type: str
    required: true
  account_id:
    description: The topic's account.
    type: str
    required: true
  topic_name:
    description: The topic's name.
    type: str
    required: true
  notifier_role_name:
    description: The notifier role's name (in any publishing account).
    type: str
    required: true
  publisher_account_ids:
    description: Other accounts whose notifier role may publish.
    type: list
    elements: str
  organization_id:
    description: When set, notifier roles of every account of this organisation may publish.
    type: str
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
policy: >-
  {{ 'aws' | bucketguard.visibility.sns_topic_policy(region='eu-west-3', account_id='111111111111',
     topic_name='bucketguard-alerts', notifier_role_name='bucketguard-notifier-role') }}
"""

RETURN = r"""
_value:
  description: The policy document, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.sns_topic import topic_policy


def sns_topic_policy(
    partition, region, account_id, topic_name, notifier_role_name, publisher_account_ids=(), organization_id=""
):
    return topic_policy(
        str(partition),
        str(region),
        str(account_id),
        str(topic_name),
        str(notifier_role_name),
        [str(a) for a in publisher_account_ids or []],
        str(organization_id or ""),
    )


class FilterModule:
    def filters(self):
        return {"sns_topic_policy": sns_topic_policy}
