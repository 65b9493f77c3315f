# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: trail_problems
short_description: The trail role's input problems
version_added: 0.3.0
description:
  - Every problem of the C(trail) role's inputs, one sentence each naming the variable; an empty list means the
    inputs are fine (C(trail_problems) in C(plugins/module_utils/trail.py)). The role's first task asserts it is
    empty, before any AWS call.
options:
  _input:
    description: The role's inputs, every C(trail_*) variable, as one dict.
    type: dict
    required: true
  partition:
    description: The fleet's partition (C(bucketguard_partition)); ARNs given as inputs must be in it.
    type: str
    required: true
  region:
    description: The host's region (C(aws_region)).
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
__trail_input_errors: "{{ __trail_inputs | bucketguard.visibility.trail_problems(partition='aws', region=aws_region) }}"
"""

RETURN = r"""
_value:
  description: The problems, one sentence each.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.trail import trail_problems


class FilterModule:
    def filters(self):
        return {"trail_problems": trail_problems}
