# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: reader_role_policy
short_description: The member account's read-only role policy in organisation mode
version_added: 0.3.0
description:
  - The S3 and S3 Control reads the hub notifier needs to judge a member's bucket, and nothing else
    (no write, no object read, no listing); in the log account also C(logs:FilterLogEvents) on the organisation
    trail's log group. From C(plugins/module_utils/hub.py).
options:
  _input:
    description: The partition (C(bucketguard_partition)).
    type: str
    required: true
  log_group_arn:
    description:
      - In the log account (C(bucketguard_organization_trail)), the organisation trail's log group ARN the hub
        notifier reads records from (C(logs:FilterLogEvents) on it and its streams). Empty - no log read.
    type: str
    default: ""
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
policy_json: "{{ bucketguard_partition | default('aws') | bucketguard.visibility.reader_role_policy | to_json }}"
"""

RETURN = r"""
_value:
  description: The policy document, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.hub import reader_role_policy


class FilterModule:
    def filters(self):
        return {"reader_role_policy": reader_role_policy}
