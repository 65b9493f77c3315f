# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: deployer_trust_policy
short_description: The trust policy of the bucketguard deployer role
version_added: 0.2.0
description:
  - Lets one principal (the AWX credential's user or role) assume the deployer role, with an optional
    C(sts:ExternalId) condition.
options:
  _input:
    description: The ARN of the trusted principal.
    type: str
    required: true
  external_id:
    description: The external id the principal must pass; empty for none.
    type: str
    default: ""
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
assume_role_policy_document: >-
  {{ bucketguard_deployer_trusted_principal | bucketguard.visibility.deployer_trust_policy('my-id') | to_json }}
"""

RETURN = r"""
_value:
  description: The trust policy document, as a dict.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bucketguard.visibility.plugins.module_utils.deployer_policy import trust_policy


def _trust(principal, external_id=""):
    try:
        return trust_policy(principal, external_id or "")
    except ValueError as e:
        raise AnsibleFilterError(f"bucketguard_deployer_trusted_principal: {e}") from e


class FilterModule:
    def filters(self):
        return {"deployer_trust_policy": _trust}
