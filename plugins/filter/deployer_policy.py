# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: deployer_policy
short_description: The bucketguard deployer role's permission policy, scoped to a name prefix
version_added: 0.2.0
description:
  - The least-privilege policy of the role that deploy.yml, verify.yml, teardown.yml and audit.yml assume
    (C(bucketguard_assume_role_arn)), from the one table in C(plugins/module_utils/deployer_policy.py).
  - Derived from the modules' sources, not checked against real AWS (docs/deployer.md).
options:
  _input:
    description: C(bucketguard_name_prefix); the role may only manage resources named with it.
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
policy_json: "{{ bucketguard_name_prefix | default('bucketguard') | bucketguard.visibility.deployer_policy | to_json }}"
"""

RETURN = r"""
_value:
  description: The policy document, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.deployer_policy import policy_document


class FilterModule:
    def filters(self):
        return {"deployer_policy": lambda prefix: policy_document(str(prefix))}
