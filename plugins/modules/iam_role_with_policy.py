#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iam_role_with_policy
short_description: Manage an IAM role, its trust policy and one inline policy in one task
version_added: 0.3.0
description:
  - Creates or updates an IAM role with its trust policy and exactly one inline policy, or deletes the role
    (its inline policies first).
  - Used in organisation mode for the member accounts' forwarder and reader roles, where a member account's home
    region runs at most five tasks (amazon.aws.iam_role and amazon.aws.iam_policy would take two tasks a role).
  - Policies are compared as documents (amazon.aws's compare_policies). Other inline policies of the role are
    removed; attached managed policies are left alone.
options:
  name:
    description: The role's name.
    type: str
    required: true
  assume_role_policy_document:
    description: The trust policy (a dict or JSON). Required with O(state=present).
    type: json
  policy_name:
    description: The name of the one inline policy.
    type: str
  policy:
    description: The inline policy document (a dict or JSON). Required with O(state=present).
    type: json
  description:
    description: The role's description.
    type: str
    default: ""
  tags:
    description: Tags of the role (set on creation; later changes are applied too).
    type: dict
    default: {}
  state:
    description: V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The member's reader role
  bucketguard.visibility.iam_role_with_policy:
    name: bucketguard-reader
    assume_role_policy_document: "{{ 'aws' | bucketguard.visibility.reader_trust_policy(hub_account, 'bucketguard') }}"
    policy_name: read-bucket-exposure
    policy: "{{ 'aws' | bucketguard.visibility.reader_role_policy }}"
"""

RETURN = r"""
arn:
  description: The role's ARN (empty when absent, or when it would be created in check mode).
  returned: always
  type: str
  sample: arn:aws:iam::111111111111:role/bucketguard-reader
existed:
  description: Whether the role existed before the task.
  returned: always
  type: bool
"""

import json
from urllib.parse import unquote

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

AWS_ERRORS = ()
try:
    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except NameError:
    pass


def _doc(value):
    """A policy document as IAM returns it (a dict, or URL-encoded JSON)."""
    if isinstance(value, dict):
        return value
    return json.loads(unquote(value)) if value else {}


def _load(module, name):
    try:
        value = json.loads(module.params[name])
    except (TypeError, ValueError) as e:
        module.fail_json(msg=f"{name} is not valid JSON: {e}")
    if not isinstance(value, dict) or not value.get("Statement"):
        module.fail_json(msg=f"{name} must be a policy document with at least one Statement")
    return value


def read_role(module, iam, name):
    """{arn, trust, description, tags, policies: {name: doc}} or None."""
    try:
        role = iam.get_role(aws_retry=True, RoleName=name)["Role"]
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        module.fail_json_aws(e, msg=f"Could not read the role {name}")
    except botocore.exceptions.BotoCoreError as e:
        module.fail_json_aws(e, msg=f"Could not read the role {name}")
    try:
        names = iam.list_role_policies(aws_retry=True, RoleName=name).get("PolicyNames", [])
        policies = {
            p: _doc(iam.get_role_policy(aws_retry=True, RoleName=name, PolicyName=p)["PolicyDocument"]) for p in names
        }
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(aws_retry=True, RoleName=name).get("Tags", [])}
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Could not read the policies of the role {name}")
    return {
        "arn": role["Arn"],
        "trust": _doc(role.get("AssumeRolePolicyDocument")),
        "description": role.get("Description", ""),
        "tags": tags,
        "policies": policies,
    }


def ensure_present(module, iam, name, current):
    trust = _load(module, "assume_role_policy_document")
    policy = _load(module, "policy")
    policy_name = module.params["policy_name"]
    tags = {str(k): str(v) for k, v in (module.params["tags"] or {}).items()}
    description = module.params["description"]
    wanted = {
        "trust": trust,
        "description": description,
        "tags": tags,
        "policies": {policy_name: policy},
    }
    if current is None:
        changes = ["create"]
    else:
        changes = []
        if compare_policies(current["trust"], trust, default_version=None):
            changes.append("trust")
        if current["description"] != description:
            changes.append("description")
        if current["tags"] != tags:
            changes.append("tags")
        if set(current["policies"]) != {policy_name} or compare_policies(
            current["policies"][policy_name], policy, default_version=None
        ):
            changes.append("policies")
    before = {k: v for k, v in (current or {}).items() if k != "arn"}
    if changes and not module.check_mode:
        try:
            if current is None:
                iam.create_role(
                    aws_retry=True,
                    RoleName=name,
                    AssumeRolePolicyDocument=json.dumps(trust),
                    Description=description,
                    Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                )
            else:
                if "trust" in changes:
                    iam.update_assume_role_policy(aws_retry=True, RoleName=name, PolicyDocument=json.dumps(trust))
                if "description" in changes:
                    iam.update_role(aws_retry=True, RoleName=name, Description=description)
                if "tags" in changes:
                    gone = sorted(set(current["tags"]) - set(tags))
                    if gone:
                        iam.untag_role(aws_retry=True, RoleName=name, TagKeys=gone)
                    if tags:
                        iam.tag_role(
                            aws_retry=True, RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
                        )
            if current is None or "policies" in changes:
                for stray in sorted(set((current or {}).get("policies", {})) - {policy_name}):
                    iam.delete_role_policy(aws_retry=True, RoleName=name, PolicyName=stray)
                iam.put_role_policy(
                    aws_retry=True, RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy)
                )
        except AWS_ERRORS as e:
            module.fail_json_aws(e, msg=f"Could not create or update the role {name}")
    arn = (current or {}).get("arn", "")
    if current is None and not module.check_mode:
        arn = read_role(module, iam, name)["arn"]
    after = wanted if changes else before
    return bool(changes), arn, {"before": before, "after": after}


def ensure_absent(module, iam, name, current):
    if current is None:
        return False, "", {"before": {}, "after": {}}
    if not module.check_mode:
        try:
            for policy_name in current["policies"]:
                iam.delete_role_policy(aws_retry=True, RoleName=name, PolicyName=policy_name)
            iam.delete_role(aws_retry=True, RoleName=name)
        except AWS_ERRORS as e:
            module.fail_json_aws(e, msg=f"Could not delete the role {name}")
    before = {k: v for k, v in current.items() if k != "arn"}
    return True, "", {"before": before, "after": {}}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            assume_role_policy_document=dict(type="json"),
            policy_name=dict(type="str"),
            policy=dict(type="json"),
            description=dict(type="str", default=""),
            tags=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["assume_role_policy_document", "policy_name", "policy"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    iam = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    current = read_role(module, iam, name)
    if module.params["state"] == "present":
        changed, arn, diff = ensure_present(module, iam, name, current)
    else:
        changed, arn, diff = ensure_absent(module, iam, name, current)
    module.exit_json(changed=changed, arn=arn, existed=current is not None, diff=diff)


if __name__ == "__main__":
    main()
