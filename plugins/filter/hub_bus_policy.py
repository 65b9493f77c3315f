# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: hub_bus_policy
short_description: The hub event bus's resource policy in organisation mode
version_added: 0.3.0
description:
  - Lets the member accounts put events on the hub account's default bus - the whole organisation
    (C(aws:PrincipalOrgID)) when O(organization_id) is given, else the listed member accounts.
  - From C(plugins/module_utils/hub.py); see docs/organisation.md.
options:
  _input:
    description: The partition (C(bucketguard_partition)).
    type: str
    required: true
  hub_region:
    description: The hub region (C(bucketguard_hub_region)).
    type: str
    required: true
  hub_account_id:
    description: The hub account (C(bucketguard_hub_account_id)).
    type: str
    required: true
  organization_id:
    description: The organisation id (C(o-...)); when set, the policy allows the organisation.
    type: str
  member_accounts:
    description: Member account ids, used when O(organization_id) is not set.
    type: list
    elements: str
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
policy: >-
  {{ 'aws' | bucketguard.visibility.hub_bus_policy('eu-west-3', '111111111111',
     organization_id='o-abcdefghij') }}
"""

RETURN = r"""
_value:
  description: The policy document, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.hub import hub_bus_policy


class FilterModule:
    def filters(self):
        return {"hub_bus_policy": hub_bus_policy}
