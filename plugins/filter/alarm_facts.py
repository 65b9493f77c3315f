# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: alarm_facts
short_description: The alarm role's part states, tamper patterns and what verify compares
version_added: 0.3.0
description:
  - What the C(alarm) role computes from its inputs (C(alarm_facts) in C(plugins/module_utils/alarm.py)).
  - Keys C(present) (C(alarm_state) is C(present)), C(heartbeat_state), C(cis_state), C(tamper_state) (C(present)
    when the role is present and the part is switched on, else C(absent)), C(tamper_patterns) (service -> the
    tamper metric filter's pattern) and C(verify_wanted) (the filters and alarms verify compares with AWS).
options:
  _input:
    description: The role's inputs, every C(alarm_*) variable, as one dict.
    type: dict
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
__alarm_facts: "{{ __alarm_inputs | bucketguard.visibility.alarm_facts }}"
state: "{{ __alarm_facts.tamper_state }}"
"""

RETURN = r"""
_value:
  description: The values, by name.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.alarm import alarm_facts


class FilterModule:
    def filters(self):
        return {"alarm_facts": alarm_facts}
