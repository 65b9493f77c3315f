# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_alarms
short_description: The visibility, heartbeat and tamper alarms of every account of the play
version_added: 0.3.0
description:
  - For every home-region host among O(hosts), its account, home region and the names of its three alarms
    (C(plugins/module_utils/dashboard_body.py)); the default of C(dashboard_fleet_alarms).
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts to look at (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
dashboard_fleet_alarms: "{{ hostvars | bucketguard.visibility.fleet_alarms(ansible_play_hosts_all) }}"
"""

RETURN = r"""
_value:
  description: "[{account_id, region, alarm_name}, ...]"
  type: list
  elements: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.dashboard_body import fleet_alarms as _fleet_alarms


def fleet_alarms(hostvars, hosts):
    return _fleet_alarms({h: hostvars[h] for h in hosts}, list(hosts))


class FilterModule:
    def filters(self):
        return {"fleet_alarms": fleet_alarms}
