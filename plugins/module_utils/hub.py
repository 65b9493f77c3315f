# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Organisation (hub) mode: the policies that let one hub account watch every member account (pure).

Trust chain (docs/organisation.md):
  member account x region  --events:PutEvents (forwarder role)-->  hub account's default bus (hub region)
  hub bus policy           allows PutEvents from the organisation (aws:PrincipalOrgID) or listed accounts
  hub notifier role        --sts:AssumeRole-->  member's reader role (read-only S3 / S3 Control reads)
  member's reader role     trusts the hub ACCOUNT as principal, narrowed by aws:PrincipalArn to the hub
                           notifier's role (a role ARN as principal would break when that role is
                           re-created, and cannot be written before it exists), and by aws:PrincipalOrgID.

Nothing here calls AWS; the roles and our modules render these documents and compare them with AWS's.
"""

from __future__ import annotations

import re
from typing import Any

from .contract import ACCOUNT_ID_RE, PARTITIONS, REGION_RE, as_bool

ORGANIZATION_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}\Z")

# What the notifier reads to judge a bucket (bucket_state.read_bucket_state, read_policy_status,
# read_bucket_region) - nothing that writes, lists objects or reads object data.
READER_BUCKET_ACTIONS = (
    "s3:GetBucketAcl",
    "s3:GetBucketLocation",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
)
READER_ACCOUNT_ACTIONS = ("s3:GetAccountPublicAccessBlock",)
BUS_POLICY_SID = "bucketguard-members-put-events"


def reader_role_name(prefix: str) -> str:
    return f"{prefix}-reader"


def notifier_role_arn(partition: str, hub_account_id: str, prefix: str) -> str:
    return f"arn:{partition}:iam::{hub_account_id}:role/{prefix}-notifier-role"


def bus_arn(partition: str, region: str, account_id: str, bus: str = "default") -> str:
    return f"arn:{partition}:events:{region}:{account_id}:event-bus/{bus}"


def reader_role_policy(partition: str = "aws", log_group_arn: str | None = None) -> dict[str, Any]:
    """The member's reader role: the bucket and account reads the hub notifier needs, and nothing else.

    ``log_group_arn``: in the log account, the organisation trail's log group (its ARN without ``:*``), whose
    records the hub notifier reads (logs:FilterLogEvents) when that account's alarm fires."""
    logs = []
    if log_group_arn:
        arn = log_group_arn.removesuffix(":*")
        logs = [
            {
                "Sid": "ReadOrganisationTrailRecords",
                "Effect": "Allow",
                "Action": ["logs:FilterLogEvents"],
                "Resource": [arn, f"{arn}:*"],
            }
        ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            *logs,
            {
                "Sid": "ReadBucketExposure",
                "Effect": "Allow",
                "Action": list(READER_BUCKET_ACTIONS),
                "Resource": f"arn:{partition}:s3:::*",
            },
            {
                # GetAccountPublicAccessBlock takes no resource (Service Authorization Reference).
                "Sid": "ReadAccountPublicAccessBlock",
                "Effect": "Allow",
                "Action": list(READER_ACCOUNT_ACTIONS),
                "Resource": "*",
            },
        ],
    }


def reader_trust_policy(
    partition: str, hub_account_id: str, prefix: str, organization_id: str | None = None
) -> dict[str, Any]:
    """Only the hub notifier's role (in the hub account, inside the organisation when given) may assume the reader."""
    conditions: dict[str, Any] = {
        "ArnEquals": {"aws:PrincipalArn": notifier_role_arn(partition, hub_account_id, prefix)}
    }
    if organization_id:
        conditions["StringEquals"] = {"aws:PrincipalOrgID": organization_id}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HubNotifierReadsBucketState",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{hub_account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        ],
    }


def hub_bus_policy(
    partition: str,
    hub_region: str,
    hub_account_id: str,
    organization_id: str | None = None,
    member_accounts: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The hub bus's resource policy: PutEvents from the organisation, or from the listed member accounts."""
    statement: dict[str, Any] = {
        "Sid": BUS_POLICY_SID,
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": bus_arn(partition, hub_region, hub_account_id),
    }
    if organization_id:
        statement["Principal"] = "*"
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": organization_id}}
    else:
        members = sorted({a for a in member_accounts if a != hub_account_id})
        if not members:
            raise ValueError("hub_bus_policy needs organization_id or at least one member account")
        statement["Principal"] = {"AWS": [f"arn:{partition}:iam::{a}:root" for a in members]}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def bus_policy_allows(policy: dict[str, Any] | None, account_id: str, organization_id: str | None = None) -> bool:
    """Does this bus policy let ``account_id`` (a member of ``organization_id``, if given) put events?

    Reads only the shapes hub_bus_policy writes and the usual hand-written ones: an Allow of
    events:PutEvents (or events:*) to the account's root or account id, or to "*" narrowed by
    aws:PrincipalOrgID equal to the organisation. A Deny naming the account wins.
    """
    allowed = False
    for statement in _as_list((policy or {}).get("Statement")):
        if not isinstance(statement, dict):
            continue
        actions = _as_list(statement.get("Action"))
        if not any(a in ("events:PutEvents", "events:*", "*") for a in actions):
            continue
        principal = statement.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
            org = ((statement.get("Condition") or {}).get("StringEquals") or {}).get("aws:PrincipalOrgID")
            matches = bool(organization_id) and organization_id in _as_list(org)
            if statement.get("Condition") is None:
                matches = True
        else:
            names = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
            matches = any(
                n == account_id or re.fullmatch(rf"arn:[a-z-]+:iam::{account_id}:root", str(n)) for n in names
            )
        if not matches:
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def log_group_arn(partition: str, region: str, account_id: str, log_group: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}"


def forwarder_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    """The forwarder role's policy: events:PutEvents on one default bus (the home region's, or the hub's)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutEventsOnTheHomeRegionsBus",
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": bus_arn(partition, region, account_id),
            }
        ],
    }


def alarm_state_pattern(accounts: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The hub rule's pattern: CloudWatch alarm state changes forwarded by the log accounts."""
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "account": sorted(accounts),
    }


def alarm_forward_pattern(alarm_arns: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The log account's rule pattern: its own bucketguard alarms' state changes (to the hub bus)."""
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": sorted(alarm_arns),
    }


def bus_policy_findings(
    policy: dict[str, Any] | None, members: list[str] | tuple[str, ...], organization_id: str | None = None
) -> list[str]:
    """verify.yml on the hub: one sentence per member account the hub bus policy does not let in (or one for all)."""
    refused = [m for m in members if not bus_policy_allows(policy, m, organization_id or None)]
    if not refused:
        return []
    if not (policy or {}).get("Statement"):
        return [f"the hub bus has no policy: no member account may put events on it ({len(refused)} refused)"]
    return [
        f"the hub bus policy does not let member account {m} put events: its forwarded S3 calls are refused"
        for m in refused
    ]


def role_findings(found: dict[str, Any], name: str, what: str) -> list[str]:
    """verify.yml on a member's home region: ``found`` is bucketguard.visibility.iam_role_with_policy's answer in
    check mode (``existed``, ``changed``) or its failure; ``what`` says what the role is for."""
    if found.get("failed"):
        return [f"could not read the IAM role {name} ({found.get('msg', '')})"]
    if not found.get("existed"):
        return [f"the {what} role {name} is missing"]
    if found.get("changed"):
        return [f"the {what} role {name} differs from the role's (trust or policy): run deploy.yml"]
    return []


def loop_role_findings(results: list[dict[str, Any]]) -> list[str]:
    """role_findings of each result of a looped check-mode task whose items carry ``name`` and ``what``."""
    out: list[str] = []
    for result in results or []:
        if result.get("skipped"):
            continue
        item = result.get("item") or {}
        out += role_findings(result, str(item.get("name")), str(item.get("what", "")))
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def hub_fleet(hosts: dict[str, Any]) -> dict[str, Any]:
    """The fleet seen from organisation mode (computed once by the inventory check); {} in standalone mode.

    hub_account_id, hub_region, organization_id ("" when none), partition, members (every account but the hub,
    sorted), log_accounts ({account: log group name} of the hosts with bucketguard_organization_trail true),
    bus_arn (the hub's default bus). Call it on an inventory hub_problems accepts."""
    hub = next((_text(hv.get("bucketguard_hub_account_id")) for hv in hosts.values()), "")
    if not hub:
        return {}
    first = next(iter(hosts.values()))
    partition = _text(first.get("bucketguard_partition") or "aws")
    region = _text(first.get("bucketguard_hub_region"))
    accounts = sorted({_text(hv.get("bucketguard_account_id")) for hv in hosts.values()})
    log_accounts = {
        _text(hv.get("bucketguard_account_id")): _text(hv.get("bucketguard_trail_log_group_name"))
        for hv in hosts.values()
        if as_bool(hv.get("bucketguard_organization_trail", False))
    }
    return {
        "hub_account_id": hub,
        "hub_region": region,
        "organization_id": _text(first.get("bucketguard_organization_id")),
        "partition": partition,
        "members": [a for a in accounts if a != hub],
        "log_accounts": dict(sorted(log_accounts.items())),
        "bus_arn": bus_arn(partition, region, hub),
    }


def organization_trail_problems(hosts: dict[str, Any], hub_mode: bool) -> list[str]:
    """bucketguard_organization_trail: a boolean, only in organisation mode, with trail_manage false and a log group."""
    out: list[str] = []
    for host, hv in sorted(hosts.items()):
        value = hv.get("bucketguard_organization_trail", False)
        flag = as_bool(value)
        if flag is None:
            out.append(f"{host}: bucketguard_organization_trail must be true or false, got {value!r}.")
            continue
        if not flag:
            continue
        if not hub_mode:
            out.append(
                f"{host}: bucketguard_organization_trail is true but bucketguard_hub_account_id is not set: "
                "the organisation trail's alarms go to the hub (organisation mode, docs/organisation.md)."
            )
        if as_bool(hv.get("trail_manage", True)) is not False:
            out.append(
                f"{host}: bucketguard_organization_trail needs trail_manage: false (the organisation trail exists; "
                "bucketguard only watches its log group)."
            )
        if not _text(hv.get("bucketguard_trail_log_group_name")):
            out.append(
                f"{host}: bucketguard_organization_trail needs bucketguard_trail_log_group_name, the organisation "
                "trail's log group (Control Tower: aws-controltower/CloudTrailLogs)."
            )
    return out


def hub_problems(hosts: dict[str, Any], sliced: bool = False) -> list[str]:
    """Fleet-wide checks of hub mode; only bucketguard_organization_trail's when no host sets
    bucketguard_hub_account_id (standalone mode). ``sliced``: an AWX job slice, the hub's hosts may be elsewhere."""
    hub_ids = {h: hv.get("bucketguard_hub_account_id") for h, hv in hosts.items()}
    set_on = {h: str(v) for h, v in hub_ids.items() if v not in (None, "")}
    if not set_on:
        problems = organization_trail_problems(hosts, hub_mode=False)
        for name in ("bucketguard_hub_region", "bucketguard_organization_id"):
            if any(hv.get(name) not in (None, "") for hv in hosts.values()):
                problems.append(f"{name} is set but bucketguard_hub_account_id is not: set both (organisation mode).")
        return problems
    problems = organization_trail_problems(hosts, hub_mode=True)
    unset = sorted(h for h in hosts if h not in set_on)
    if unset:
        problems.append(
            "bucketguard_hub_account_id must be set for the whole fleet (group_vars/all), "
            f"it is missing on: {', '.join(unset[:10])}{' ...' if len(unset) > 10 else ''}"
        )
    values = sorted(set(set_on.values()))
    if len(values) > 1:
        problems.append(f"bucketguard_hub_account_id differs between hosts: {', '.join(values)}; the fleet has one hub")
        return problems
    hub = values[0]
    if not ACCOUNT_ID_RE.match(hub):
        problems.append(f"bucketguard_hub_account_id must be a 12-digit account id, got {hub!r}")
        return problems
    hub_hosts = [h for h, hv in hosts.items() if str(hv.get("bucketguard_account_id") or "") == hub]
    if not hub_hosts and not sliced:
        problems.append(
            f"bucketguard_hub_account_id {hub} is not an account of the inventory: add the hub account "
            "(it holds the notifier, the topic and the dashboard)"
        )
    regions = {str(hv.get("bucketguard_hub_region") or "") for hv in hosts.values()}
    if len(regions) != 1 or not REGION_RE.match(next(iter(regions))):
        problems.append(
            "bucketguard_hub_region must be one AWS region name for the whole fleet, got "
            f"{', '.join(sorted(repr(r) for r in regions))}"
        )
        return problems
    region = next(iter(regions))
    if hub_hosts and not any(str(hosts[h].get("aws_region") or "") == region for h in hub_hosts):
        problems.append(f"the hub account {hub} has no host in bucketguard_hub_region {region}")
    homes = {str(hosts[h].get("bucketguard_home_region_name") or "") for h in hub_hosts} - {""}
    if homes and homes != {region}:
        problems.append(
            f"the hub account {hub}'s bucketguard_home_region_name ({', '.join(sorted(homes))}) must be "
            f"bucketguard_hub_region {region}: the hub's stack lives in the hub region"
        )
    org = {str(hv.get("bucketguard_organization_id") or "") for hv in hosts.values()}
    org.discard("")
    for value in sorted(org):
        if not ORGANIZATION_ID_RE.match(value):
            problems.append(f"bucketguard_organization_id must look like o-xxxxxxxxxx, got {value!r}")
    if len(org) > 1:
        problems.append(f"bucketguard_organization_id differs between hosts: {', '.join(sorted(org))}")
    partitions = {str(hv.get("bucketguard_partition") or "aws") for hv in hosts.values()}
    if len(partitions) > 1 or not partitions <= set(PARTITIONS):
        problems.append(f"hub mode needs one bucketguard_partition for the whole fleet, got {sorted(partitions)}")
    return problems
