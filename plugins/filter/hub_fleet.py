# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: hub_fleet
short_description: The fleet seen from organisation (hub) mode, computed once by the inventory check
version_added: 0.3.0
description:
  - The hub account and region, the organisation id, the partition, the member accounts (every account but the
    hub), the log accounts (hosts with C(bucketguard_organization_trail) true, and their log group) and the hub's
    default bus ARN. An empty dict in standalone mode (no C(bucketguard_hub_account_id)).
  - The same file gives the roles organisation mode's other small pure helpers (C(plugins/module_utils/hub.py)):
    C(hub_forwarder_policy), C(hub_alarm_state_pattern), C(hub_alarm_forward_pattern), C(hub_bus_findings),
    C(hub_role_findings).
  - C(playbooks/check_inventory.yml) publishes it as the fact C(bucketguard_hub) on every host, after
    C(inventory_problems) accepted the inventory. From C(plugins/module_utils/hub.py).
options:
  _input:
    description: Inventory host name -> that host's variables.
    type: dict
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
inventory: "{{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars))) }}"
bucketguard_hub: "{{ inventory | bucketguard.visibility.hub_fleet }}"
"""

RETURN = r"""
_value:
  description: hub_account_id, hub_region, organization_id, partition, members, log_accounts, bus_arn; {} standalone.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.hub import (
    alarm_forward_pattern,
    alarm_state_pattern,
    bus_policy_findings,
    forwarder_policy,
    hub_fleet,
    loop_role_findings,
)


class FilterModule:
    def filters(self):
        return {
            "hub_fleet": hub_fleet,
            "hub_forwarder_policy": forwarder_policy,
            "hub_alarm_state_pattern": alarm_state_pattern,
            "hub_alarm_forward_pattern": alarm_forward_pattern,
            "hub_bus_findings": bus_policy_findings,
            "hub_role_findings": loop_role_findings,
        }
