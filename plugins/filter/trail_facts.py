# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: trail_facts
short_description: The trail role's ARNs, policies and event selectors
version_added: 0.3.0
description:
  - What the C(trail) role computes from its inputs (C(trail_facts) in C(plugins/module_utils/trail.py)), ARNs made
    from names so that they exist in check mode and before creation.
  - Keys C(arn), C(log_group_arn) (with the trailing C(:*)), C(logs_role_arn), C(bucket_arn), C(bucket_policy),
    C(advanced_event_selectors), C(logs_role_trust), C(logs_role_policy_name), C(logs_role_policy), C(kms_key) (the
    made key's alias ARN, the given key, or empty for SSE-S3), C(kms_key_arn), C(log_group_kms_key), C(kms_key_policy),
    C(access_log_prefix), C(access_log_bucket_policy).
options:
  _input:
    description: The role's inputs, every C(trail_*) variable, as one dict.
    type: dict
    required: true
  partition:
    description: The fleet's partition (C(bucketguard_partition)).
    type: str
    required: true
  region:
    description: The host's region (C(aws_region)).
    type: str
    required: true
  made_key_arn:
    description: The ARN of the key the role made (C(amazon.aws.kms_key)'s C(key_arn)), empty before it exists.
    type: str
    default: ""
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
__trail_facts: "{{ __trail_inputs | bucketguard.visibility.trail_facts(partition='aws', region=aws_region) }}"
policy: "{{ __trail_facts.bucket_policy | to_json }}"
"""

RETURN = r"""
_value:
  description: The values, by name.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.trail import trail_facts


class FilterModule:
    def filters(self):
        return {"trail_facts": trail_facts}
