# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dashboard_problems
short_description: What is wrong with the dashboard role's inputs
version_added: 0.3.0
description:
  - One sentence per invalid input, naming the variable (C(plugins/module_utils/dashboard_body.py)); the
    role's first task fails with them before any AWS call.
options:
  _input:
    description: The role's inputs as one dict (its variables without the C(dashboard_) prefix).
    type: dict
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
problems: "{{ __dashboard_inputs | bucketguard.visibility.dashboard_problems }}"
"""

RETURN = r"""
_value:
  description: The problems; empty when every input is valid.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.dashboard_body import problems


class FilterModule:
    def filters(self):
        return {"dashboard_problems": lambda inputs: problems(dict(inputs))}
