#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: event_bus_policy
short_description: Manage the resource-based policy of an EventBridge event bus
version_added: 0.3.0
description:
  - Sets the whole resource-based policy of an event bus (C(PutPermission) with C(Policy)), or removes
    it (C(RemovePermission) with C(RemoveAllPermissions)).
  - Used in organisation mode so that member accounts may put events on the hub account's bus.
  - Neither amazon.aws nor community.aws manages event bus permissions; this module fills that gap only.
  - Policies are compared as documents (order of statements and of list items, and a single value
    versus a one-item list, do not count as differences).
options:
  event_bus_name:
    description: Name of the event bus.
    type: str
    default: default
  policy:
    description:
      - The policy document (a dict or a JSON string). Required with O(state=present).
    type: json
  state:
    description: V(present) sets the policy; V(absent) removes every statement.
    type: str
    choices: [present, absent]
    default: present
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Let every account of the organisation put events on the hub bus
  bucketguard.visibility.event_bus_policy:
    policy: >-
      {{ 'aws' | bucketguard.visibility.hub_bus_policy('eu-west-3', '111111111111',
         organization_id='o-abcdefghij') }}

- name: Remove the bus policy
  bucketguard.visibility.event_bus_policy:
    state: absent
"""

RETURN = r"""
policy:
  description: The bus policy after the change (in check mode, the one that would be set); empty when absent.
  returned: always
  type: dict
previous_policy:
  description: The bus policy found before any change; empty when there was none.
  returned: always
  type: dict
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def read_policy(module, client, bus):
    try:
        answer = client.describe_event_bus(aws_retry=True, Name=bus)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read event bus {bus}")
    text = answer.get("Policy")
    return json.loads(text) if text else {}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            event_bus_name=dict(type="str", default="default"),
            policy=dict(type="json"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["policy"])],
        supports_check_mode=True,
    )
    bus = module.params["event_bus_name"]
    wanted = {}
    if module.params["state"] == "present":
        try:
            wanted = json.loads(module.params["policy"])
        except ValueError as e:
            module.fail_json(msg=f"policy is not valid JSON: {e}")
        if not isinstance(wanted, dict) or not wanted.get("Statement"):
            module.fail_json(msg="policy must be a policy document with at least one Statement")

    client = module.client("events", retry_decorator=AWSRetry.jittered_backoff())
    current = read_policy(module, client, bus)
    if wanted:
        changed = not current or compare_policies(current, wanted, default_version=None)
    else:
        changed = bool(current.get("Statement"))
    if changed and not module.check_mode:
        try:
            if wanted:
                client.put_permission(aws_retry=True, EventBusName=bus, Policy=json.dumps(wanted))
            else:
                client.remove_permission(aws_retry=True, EventBusName=bus, RemoveAllPermissions=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Could not set the policy of event bus {bus}")
    after = wanted if changed else current
    module.exit_json(changed=changed, policy=after, previous_policy=current, diff={"before": current, "after": after})


if __name__ == "__main__":
    main()
