# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: inventory_problems
short_description: Every problem of a bucketguard fleet inventory, before any AWS call
version_added: 0.2.0
description:
  - Checks every host's shared inputs (account id, region, home region, prefix, partition, ARNs, tags,
    subscriber addresses; every pattern anchored at the true end) and each account's home region (exactly one
    home-region host, in the region all the account's hosts name), and returns one sentence per problem,
    naming the host or the account and the variable (C(plugins/module_utils/contract.py)).
  - Used once for the whole fleet by C(playbooks/check_inventory.yml), so a bad value anywhere stops every host.
options:
  _input:
    description: Inventory host name -> that host's variables (for example built from C(groups.all) and C(hostvars)).
    type: dict
    required: true
  deprecated:
    description: Return the warnings for renamed inputs that are still set instead of the problems.
    type: bool
    default: false
  sliced:
    description:
      - The inventory is one slice of a sliced AWX job (C(bucketguard_inventory_slice=true)) - an account whose
        home-region host is in another slice is accepted; every other check still applies.
    type: bool
    default: false
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
inventory: "{{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars))) }}"
problems: "{{ inventory | bucketguard.visibility.inventory_problems }}"
"""

RETURN = r"""
_value:
  description: Problems (or deprecation warnings), one sentence each; empty when the inventory is fine.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import deprecated_inputs, fleet_problems


def inventory_problems(hosts, deprecated=False, sliced=False):
    if deprecated:
        return sorted({w for hv in hosts.values() for w in deprecated_inputs(hv)})
    return fleet_problems(dict(hosts), sliced=bool(sliced))


class FilterModule:
    def filters(self):
        return {"inventory_problems": inventory_problems}
