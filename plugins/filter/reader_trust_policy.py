# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: reader_trust_policy
short_description: Who may assume a member account's reader role in organisation mode
version_added: 0.3.0
description:
  - Only the hub notifier's role - the hub account as principal, narrowed by C(aws:PrincipalArn) to
    the notifier's role (so the trust survives the role being re-created) and, when given, by
    C(aws:PrincipalOrgID). From C(plugins/module_utils/hub.py).
options:
  _input:
    description: The partition (C(bucketguard_partition)).
    type: str
    required: true
  hub_account_id:
    description: The hub account (C(bucketguard_hub_account_id)).
    type: str
    required: true
  prefix:
    description: C(bucketguard_name_prefix) (names the hub notifier's role).
    type: str
    required: true
  organization_id:
    description: The organisation id (C(o-...)).
    type: str
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
assume_role_policy_document: >-
  {{ 'aws' | bucketguard.visibility.reader_trust_policy('111111111111', 'bucketguard') | to_json }}
"""

RETURN = r"""
_value:
  description: The trust policy document, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.hub import reader_trust_policy


class FilterModule:
    def filters(self):
        return {"reader_trust_policy": reader_trust_policy}
