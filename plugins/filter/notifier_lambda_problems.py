# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: notifier_lambda_problems
short_description: The notifier_lambda role's input problems
version_added: 0.3.0
description:
  - Every problem of the C(notifier_lambda) role's inputs, one sentence each naming the variable; an empty list means
    the inputs are fine (C(notifier_lambda_problems) in C(plugins/module_utils/notifier_lambda.py)). The role's first
    task asserts it is empty, before any AWS call. The source folder's existence is checked in the role.
options:
  _input:
    description: The role's inputs, every C(notifier_lambda_*) variable, as one dict.
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
__notifier_lambda_problems: >-
  {{ __notifier_lambda_inputs | bucketguard.visibility.notifier_lambda_problems(region=aws_region) }}
"""

RETURN = r"""
_value:
  description: The problems, one sentence each.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.notifier_lambda import notifier_lambda_problems


class FilterModule:
    def filters(self):
        return {"notifier_lambda_problems": notifier_lambda_problems}
