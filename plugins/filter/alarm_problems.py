# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: alarm_problems
short_description: The alarm role's input problems
version_added: 0.3.0
description:
  - Every problem of the C(alarm) role's inputs, one sentence each naming the variable; an empty list means the
    inputs are fine (C(alarm_problems) in C(plugins/module_utils/alarm.py)). The role's first task asserts it is
    empty, before any AWS call.
options:
  _input:
    description: The role's inputs, every C(alarm_*) variable, as one dict.
    type: dict
    required: true
  region:
    description: The host's region (C(aws_region)).
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
__alarm_problems: "{{ __alarm_inputs | bucketguard.visibility.alarm_problems(region=aws_region) }}"
"""

RETURN = r"""
_value:
  description: The problems, one sentence each.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.alarm import alarm_problems


class FilterModule:
    def filters(self):
        return {"alarm_problems": alarm_problems}
