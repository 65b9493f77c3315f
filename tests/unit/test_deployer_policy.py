"""The deployer role's policy allows every AWS call our roles and playbooks make, and no more than that.

Fails when a task file starts using a module that is not in deployer_policy.MODULE_ACTIONS, when a
mapped action is not allowed by the shipped files/iam/deployer-policy.json, or when the shipped files
are not the rendering of deployer_policy.py (run scripts/render_deployer_policy.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.bucketguard.visibility.plugins.module_utils import deployer_policy as dp

ROOT = Path(__file__).resolve().parents[2]
TASK_FILES = sorted(
    [*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("playbooks/*.yml"), *ROOT.glob("playbooks/tasks/*.yml")]
)
FQCN = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$")
NESTED = ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always")
SHIPPED = json.loads((ROOT / "files/iam/deployer-policy.json").read_text())
SERVICES = ("lambda.amazonaws.com", "cloudtrail.amazonaws.com", "events.amazonaws.com")
OUR_FUNCTION = "arn:aws:lambda:eu-west-3:111122223333:function:bucketguard-notifier"
# The request context the roles' calls carry for the actions the policy allows under a condition.
CONTEXTS = {
    "iam:PassRole": [{"iam:PassedToService": s} for s in SERVICES],
    **{
        f"lambda:{verb}EventSourceMapping": [{"lambda:FunctionArn": OUR_FUNCTION}]
        for verb in ("Create", "Update", "Delete")
    },
}


def modules_in(node: Any) -> set[str]:
    """The FQCN module names of every task in a playbook or task file (blocks and plays included)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= modules_in(item)
    elif isinstance(node, dict):
        found |= {key for key in node if isinstance(key, str) and FQCN.match(key)}
        for key in NESTED:
            found |= modules_in(node.get(key))
    return found


def used_modules() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in TASK_FILES:
        for module in modules_in(yaml.safe_load(path.read_text())):
            used.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return used


def test_the_task_files_are_found_and_parsed() -> None:
    used = used_modules()
    assert len(TASK_FILES) > 20
    # a sample of what the roles really call, so a broken walker cannot pass by finding nothing
    assert {"amazon.aws.lambda", "community.aws.sns_topic", "amazon.aws.cloudtrail"} <= set(used)
    assert "bucketguard.visibility.cloudwatch_dashboard" in used


def test_modules_in_finds_tasks_inside_blocks() -> None:
    play = [
        {"hosts": "all", "tasks": [{"block": [{"rescue": [], "amazon.aws.iam_role": {}}], "rescue": [{"x.y.z": 1}]}]}
    ]
    assert modules_in(play) == {"amazon.aws.iam_role", "x.y.z"}


def test_every_module_used_is_in_the_table() -> None:
    known = set(dp.MODULE_ACTIONS) | set(dp.LOCAL_MODULES)
    unknown = {m: sorted(files) for m, files in used_modules().items() if m not in known}
    assert not unknown, (
        f"modules without IAM actions in plugins/module_utils/deployer_policy.py MODULE_ACTIONS: {unknown}; "
        "add the actions they call (read the module source), then run scripts/render_deployer_policy.py"
    )


# sts_assume_role (CALLER_MODULES) runs with the caller's credentials, before the role is assumed.
@pytest.mark.parametrize("module", sorted(set(dp.MODULE_ACTIONS) - set(dp.CALLER_MODULES)))
def test_the_shipped_policy_allows_every_action_of_the_module(module: str) -> None:
    missing = []
    for action in dp.MODULE_ACTIONS[module]:
        contexts = CONTEXTS.get(action, [{}])
        if not any(dp.is_allowed(SHIPPED, action, "*", c) for c in contexts):
            missing.append(action)
    assert not missing, f"{module} calls {missing}, which files/iam/deployer-policy.json does not allow"


def test_the_policy_grants_nothing_no_module_needs() -> None:
    needed = {a for m, actions in dp.MODULE_ACTIONS.items() if m not in dp.CALLER_MODULES for a in actions}
    granted = {a for st in SHIPPED["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}
    assert granted - needed == set()
    assert not any("*" in a for a in granted), "no action wildcards"


def test_the_shipped_files_are_the_rendering_of_the_data() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/render_deployer_policy.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert dp.policy_document() == SHIPPED


@pytest.mark.parametrize(
    ("action", "resource", "context", "allowed"),
    [
        (
            "iam:PassRole",
            "arn:aws:iam::111122223333:role/bucketguard-notifier-role",
            {"iam:PassedToService": "lambda.amazonaws.com"},
            True,
        ),
        (
            "iam:PassRole",
            "arn:aws:iam::111122223333:role/bucketguard-notifier-role",
            {"iam:PassedToService": "ec2.amazonaws.com"},
            False,
        ),
        ("iam:PassRole", "arn:aws:iam::111122223333:role/bucketguard-notifier-role", {}, False),
        (
            "iam:PassRole",
            "arn:aws:iam::111122223333:role/admin",
            {"iam:PassedToService": "lambda.amazonaws.com"},
            False,
        ),
        ("iam:CreateRole", "arn:aws:iam::111122223333:role/bucketguard-x", {}, True),
        ("iam:CreateRole", "arn:aws:iam::111122223333:role/admin", {}, False),
        ("iam:DeleteRole", "arn:aws:iam::111122223333:role/bucketguard-deployer", {}, False),
        ("iam:PutRolePolicy", "arn:aws:iam::111122223333:role/bucketguard-deployer", {}, False),
        ("iam:AttachRolePolicy", "arn:aws:iam::111122223333:role/bucketguard-x", {}, False),
        ("s3:PutBucketPolicy", "arn:aws:s3:::bucketguard-cloudtrail-111122223333-eu-west-3", {}, True),
        ("s3:PutBucketPolicy", "arn:aws:s3:::customer-data", {}, False),
        ("s3:GetBucketPolicy", "arn:aws:s3:::customer-data", {}, True),
        ("s3:DeleteObject", "arn:aws:s3:::customer-data/x", {}, False),
        ("S3:getbucketpolicy", "arn:aws:s3:::customer-data", {}, True),
        ("lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-3:111122223333:function:bucketguard-notifier", {}, True),
        ("lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-3:111122223333:function:payroll", {}, False),
        ("logs:DeleteLogGroup", "arn:aws:logs:eu-west-3:111122223333:log-group:/bucketguard/cloudtrail", {}, True),
        (
            "logs:DeleteLogGroup",
            "arn:aws:logs:eu-west-3:111122223333:log-group:/aws/lambda/bucketguard-notifier",
            {},
            True,
        ),
        ("logs:DeleteLogGroup", "arn:aws:logs:eu-west-3:111122223333:log-group:/org/audit", {}, False),
        ("cloudtrail:DeleteTrail", "arn:aws:cloudtrail:eu-west-3:111122223333:trail/org-trail", {}, False),
        ("events:PutRule", "arn:aws:events:eu-west-3:111122223333:rule/bucketguard-s3-visibility-change", {}, True),
        ("sns:Subscribe", "arn:aws:sns:eu-west-3:111122223333:other-topic", {}, False),
        ("ec2:RunInstances", "*", {}, False),
        ("lambda:CreateEventSourceMapping", "*", {"lambda:FunctionArn": OUR_FUNCTION}, True),
        (
            "lambda:DeleteEventSourceMapping",
            "arn:aws:lambda:eu-west-3:111122223333:event-source-mapping:6b1b6bd0",
            {"lambda:FunctionArn": OUR_FUNCTION},
            True,
        ),
        (
            "lambda:CreateEventSourceMapping",
            "*",
            {"lambda:FunctionArn": "arn:aws:lambda:eu-west-3:111122223333:function:payroll"},
            False,
        ),
        ("lambda:CreateEventSourceMapping", "*", {}, False),
        ("sqs:DeleteQueue", "arn:aws:sqs:eu-west-3:111122223333:bucketguard-dead-letter", {}, True),
        ("sqs:DeleteQueue", "arn:aws:sqs:eu-west-3:111122223333:orders", {}, False),
        ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-3:111122223333:bucketguard-dead-letter", {}, False),
        ("dynamodb:DeleteTable", "arn:aws:dynamodb:eu-west-3:111122223333:table/bucketguard-reported", {}, True),
        ("dynamodb:DeleteTable", "arn:aws:dynamodb:eu-west-3:111122223333:table/customers", {}, False),
        ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-3:111122223333:table/bucketguard-reported", {}, False),
    ],
)
def test_the_evaluator_on_the_shipped_policy(action: str, resource: str, context: dict, allowed: bool) -> None:
    assert dp.is_allowed(SHIPPED, action, resource, context) is allowed


def test_a_custom_prefix_scopes_every_resource() -> None:
    policy = dp.policy_document("acme-bg")
    resources = [r for st in policy["Statement"] for r in st["Resource"] if r != "*"]
    # A KMS key's ARN holds a random id (the audit data key is named by its alias, which is scoped); the hub bus
    # policy of organisation mode is on AWS's default bus, whose name is not ours.
    unscoped = {"arn:aws:kms:*:*:key/*", "arn:aws:events:*:*:event-bus/default"}
    assert all("acme-bg" in r or r.endswith("role/bucketguard-deployer") or r in unscoped for r in resources)
    assert dp.is_allowed(policy, "kms:CreateAlias", "arn:aws:kms:eu-west-3:111122223333:alias/acme-bg-cloudtrail")
    assert not dp.is_allowed(policy, "kms:CreateAlias", "arn:aws:kms:eu-west-3:111122223333:alias/other")
    assert dp.is_allowed(policy, "sns:CreateTopic", "arn:aws:sns:us-east-1:111122223333:acme-bg-alerts")
    assert not dp.is_allowed(policy, "sns:CreateTopic", "arn:aws:sns:us-east-1:111122223333:bucketguard-alerts")


def test_trust_policy_with_and_without_external_id() -> None:
    principal = "arn:aws:iam::999988887777:role/awx"
    plain = dp.trust_policy(principal)
    assert plain["Statement"][0]["Principal"] == {"AWS": principal}
    assert "Condition" not in plain["Statement"][0]
    withid = dp.trust_policy(principal, "s3cr3t-id")
    assert withid["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "s3cr3t-id"}}
    with pytest.raises(ValueError, match="IAM or STS ARN"):
        dp.trust_policy("999988887777")


def test_the_cloudformation_template_carries_the_same_policy() -> None:
    template = yaml.safe_load((ROOT / "files/iam/deployer-role.cfn.yml").read_text())
    assert set(template["Parameters"]) == {"TrustedPrincipalArn", "ExternalId", "NamePrefix"}
    role = template["Resources"]["DeployerRole"]["Properties"]
    assert role["RoleName"] == dp.DEPLOYER_ROLE_NAME

    def substitute(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
            return value["Fn::Sub"].replace("${NamePrefix}", "bucketguard")
        if isinstance(value, list):
            return [substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: substitute(v) for k, v in value.items()}
        return value

    policy = role["Policies"][0]["PolicyDocument"]
    for st in policy["Statement"]:
        st["Resource"] = substitute(st["Resource"])
        if "Condition" in st:
            st["Condition"] = substitute(st["Condition"])
    assert policy == SHIPPED
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": {"Ref": "TrustedPrincipalArn"}}
    assert trust["Condition"]["Fn::If"][0] == "HasExternalId"


# --- The table against the module sources: every boto3 call a mapped module makes is in its row, or is on
# a path our tasks do not take. Fails when an upgrade of amazon.aws / community.aws adds a call.

COLLECTIONS = Path(next(p for p in sys.path if p.endswith("site-packages"))) / "ansible_collections"
CALL = re.compile(r"\.([a-z][a-z0-9_]+)\(\s*(?:aws_retry|[A-Z][A-Za-z]+=|\*\*)")
PAGINATOR = re.compile(r"get_paginator\(\s*[\"']([a-z0-9_]+)")
NOT_AWS = {"ExitJson", "Paginate", "Wait", "Format", "Update"}  # module/paginator/waiter methods
# API operation -> the IAM action that authorises it, where the names differ.
API_TO_IAM = {
    "DeleteObjects": "DeleteObject",
    "ListObjectVersions": "ListBucketVersions",
    "ListObjectsV2": "ListBucket",
    "ListBuckets": "ListAllMyBuckets",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "Invoke": "InvokeFunction",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",  # S3; S3 Control's is GetAccountPublicAccessBlock
}
# Calls on paths our tasks never take (the option that leads there is not used), with the reason.
UNUSED = {
    "amazon.aws.iam_role": {"iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"},  # no boundary
    "amazon.aws.iam_policy": {  # iam_type: role only
        f"iam:{verb}{kind}Polic{end}"
        for verb, end in (("Get", "y"), ("Put", "y"), ("Delete", "y"), ("List", "ies"))
        for kind in ("Group", "User")
    },
    "amazon.aws.lambda": {"lambda:ListLayerVersions"},  # no layers
    # another bus than "default" (DescribeEventBus) and the tags option: our roles use neither
    "bucketguard.visibility.events_rule": {
        "events:DescribeEventBus",
        "events:ListTagsForResource",
        "events:TagResource",
        "events:UntagResource",
    },
    "amazon.aws.kms_key": {"kms:CreateGrant", "kms:RetireGrant"},  # no grants option
    # module_utils/dashboard.py serves both modules; each calls only its part of it
    "bucketguard.visibility.cloudwatch_dashboard": {"cloudwatch:ListDashboards"},
    "bucketguard.visibility.cloudwatch_dashboard_info": {"cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"},
}


def module_source(module: str) -> Path:
    namespace, collection, name = module.split(".")
    if namespace == "bucketguard":
        return ROOT / "plugins" / "modules" / f"{name}.py"
    return COLLECTIONS / namespace / collection / "plugins" / "modules" / f"{name}.py"


def api_calls(module: str) -> set[str]:
    """The IAM action names (without the service: a module may call two) of the boto3 calls in the source."""
    text = module_source(module).read_text()
    if module.startswith("bucketguard."):  # and the module_utils of ours it imports
        for name in set(re.findall(r"visibility\.plugins\.module_utils\.(\w+) import", text)):
            text += (ROOT / "plugins" / "module_utils" / f"{name}.py").read_text()
    names = set(CALL.findall(text)) | set(PAGINATOR.findall(text))
    camel = {"".join(w.capitalize() for w in n.split("_")) for n in names} - NOT_AWS
    return {API_TO_IAM.get(c, c) for c in camel}


def action_names(actions: Any) -> set[str]:
    return {a.split(":")[1] for a in actions}


@pytest.mark.parametrize("module", sorted(m for m in dp.MODULE_ACTIONS if module_source(m).is_file()))
def test_the_table_covers_every_call_in_the_module_source(module: str) -> None:
    calls = api_calls(module)
    missing = calls - action_names(dp.MODULE_ACTIONS[module]) - action_names(UNUSED.get(module, set()))
    assert not missing, f"{module_source(module)} calls {sorted(missing)}: add them to MODULE_ACTIONS or UNUSED"


def test_the_source_scan_finds_calls() -> None:
    assert {"UpdateFunctionCode", "CreateFunction"} <= api_calls("amazon.aws.lambda")
    assert {"ListAllMyBuckets", "GetBucketPolicyStatus"} <= api_calls("bucketguard.visibility.s3_exposure_audit")
    assert "ListAliases" in api_calls("amazon.aws.cloudtrail")  # kms, from the cloudtrail module
