# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The notifier_lambda role's input checks, names, ARNs, queue settings, policies and the function's environment
(pure, standard library).

The role reaches them through the ``notifier_lambda_problems`` and ``notifier_lambda_facts`` filters, with its
inputs as one dict (every ``notifier_lambda_*`` variable); tests call them directly. Every format check is anchored
at the true end (``\\Z``). A value that is not a string is checked as its text, as Ansible's ``match`` test does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils import hub as hub_mode
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    ACCOUNT_ID_RE,
    ALLOW_ENTRY_RE,
    EVENT_NAME_RE,
    KMS_KEY_ARN_RE,
    LOG_GROUP_NAME_RE,
    LOG_RETENTION_DAYS,
    REGION_RE,
    SNS_TOPIC_ARN_RE,
    WILDCARD_ONLY_RE,
    as_bool,
    jinja_int,
    text_matches,
)
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    IAM_ROLE_NAME_RE as ROLE_NAME_RE,
)
from ansible_collections.bucketguard.visibility.plugins.module_utils.notifier_policy import (
    hub_notifier_policy,
    notifier_policy,
)

SQS_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):sqs:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,80}\Z")
# SQS queue names (80: letters, digits, hyphens, underscores) and DynamoDB table names (3-255).
QUEUE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}\Z")
TABLE_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}\Z")
# Lambda function names (64) and IAM role names (64).
FUNCTION_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
RULE_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
RUNTIME_RE = re.compile(r"^python3\.[0-9]{1,2}\Z")
HANDLER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
ALLOW_TAG_RE = re.compile(r"^[^=,]{1,128}=[^,]{0,256}\Z")
BUFFER_RETENTION_SECONDS = 345600
DEAD_LETTER_RETENTION_SECONDS = 1209600


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


_ok, _int = text_matches, jinja_int


def _digits(value: Any, most: int, low: int, high: int) -> bool:
    """1 to ``most`` digits (as text), between ``low`` and ``high``."""
    return re.match(rf"^[0-9]{{1,{most}}}\Z", _text(value)) is not None and low <= _int(value) <= high


def _js(value: Any) -> str:
    return json.dumps(value)


def _on(value: Any) -> bool:
    return as_bool(value) is True


def notifier_lambda_problems(v: Mapping[str, Any], region: Any) -> list[str]:
    """Every input problem of the notifier_lambda role, one sentence each naming the variable (empty: fine).

    ``v``: the role's ``notifier_lambda_*`` variables; ``region``: ``aws_region``. The source folder's existence
    is checked in the role (a path on the controller).
    """
    g = v.get
    sns, sqs = SNS_TOPIC_ARN_RE, SQS_ARN_RE
    names = g("notifier_lambda_event_names")
    allowlist = g("notifier_lambda_allowlist")
    bad_entries = [e for e in allowlist if not _ok(ALLOW_ENTRY_RE, e)]
    wildcard_only = [e for e in allowlist if _ok(WILDCARD_ONLY_RE, e)]
    batch, window = g("notifier_lambda_batch_size"), g("notifier_lambda_batch_window_seconds")
    period, account_name = g("notifier_lambda_errors_alarm_period"), g("notifier_lambda_account_name")
    central, failure = g("notifier_lambda_central_topic_arn"), g("notifier_lambda_failure_destination_arn")
    kms = g("notifier_lambda_topic_kms_key_arn")
    checks = [
        (
            _ok(ACCOUNT_ID_RE, g("notifier_lambda_account_id")),
            "notifier_lambda_account_id (bucketguard_account_id) must be 12 digits, got"
            f" {_js(_text(g('notifier_lambda_account_id')))}.",
        ),
        (_ok(REGION_RE, region), f"aws_region must be a region name such as eu-west-3, got {_js(_text(region))}."),
        (
            _ok(REGION_RE, g("notifier_lambda_home_region_name")),
            "notifier_lambda_home_region_name (bucketguard_home_region_name) must be a region name, got"
            f" {_js(_text(g('notifier_lambda_home_region_name')))}.",
        ),
        (
            _ok(FUNCTION_NAME_RE, g("notifier_lambda_function_name")),
            "notifier_lambda_function_name must be 1-64 letters, digits, hyphens or underscores, got"
            f" {_js(g('notifier_lambda_function_name'))}.",
        ),
        (
            _ok(ROLE_NAME_RE, g("notifier_lambda_role_name")),
            "notifier_lambda_role_name must be a valid IAM role name (1-64 characters), got"
            f" {_js(g('notifier_lambda_role_name'))}.",
        ),
        (
            1 <= len(g("notifier_lambda_errors_alarm_name")) <= 255
            and 1 <= len(g("notifier_lambda_visibility_alarm_name")) <= 255,
            "notifier_lambda_errors_alarm_name and notifier_lambda_visibility_alarm_name must be 1-255 characters.",
        ),
        (
            _ok(ROLE_NAME_RE, g("notifier_lambda_forwarder_role_name")),
            "notifier_lambda_forwarder_role_name must be a valid IAM role name (1-64 characters), got"
            f" {_js(g('notifier_lambda_forwarder_role_name'))}.",
        ),
        (
            1 <= len(g("notifier_lambda_failed_invocations_alarm_name")) <= 255,
            "notifier_lambda_failed_invocations_alarm_name must be 1-255 characters.",
        ),
        (
            len(names) > 0 and all(_ok(EVENT_NAME_RE, n) for n in names),
            f"notifier_lambda_event_names must be a non-empty list of S3 API names (letters only), got {_js(names)}.",
        ),
        (
            len(_js(g("notifier_lambda_event_pattern"))) <= 4096,
            "notifier_lambda_event_pattern must be at most 4096 characters of JSON (EventBridge limit).",
        ),
        (
            _ok(RULE_NAME_RE, g("notifier_lambda_event_rule_name")),
            "notifier_lambda_event_rule_name must be 1-64 letters, digits, dots, hyphens or underscores, got"
            f" {_js(g('notifier_lambda_event_rule_name'))}.",
        ),
        (
            _ok(sns, g("notifier_lambda_topic_arn")),
            "notifier_lambda_topic_arn (bucketguard_topic_arn) must be an SNS topic ARN, got"
            f" {_js(_text(g('notifier_lambda_topic_arn')))}.",
        ),
        (
            central == "" or _ok(sns, central),
            "notifier_lambda_central_topic_arn (bucketguard_central_topic_arn) must be empty or an SNS topic ARN,"
            f" got {_js(_text(central))}.",
        ),
        (
            _ok(sqs, failure) or _ok(sns, failure),
            "notifier_lambda_failure_destination_arn must be an SQS queue or SNS topic ARN (default: the dead-letter"
            f" queue), got {_js(_text(failure))}.",
        ),
        (
            _ok(QUEUE_NAME_RE, g("notifier_lambda_buffer_queue_name")),
            "notifier_lambda_buffer_queue_name must be 1-80 letters, digits, hyphens or underscores, got"
            f" {_js(_text(g('notifier_lambda_buffer_queue_name')))}.",
        ),
        (
            _ok(QUEUE_NAME_RE, g("notifier_lambda_dead_letter_queue_name")),
            "notifier_lambda_dead_letter_queue_name must be 1-80 letters, digits, hyphens or underscores, got"
            f" {_js(_text(g('notifier_lambda_dead_letter_queue_name')))}.",
        ),
        (
            g("notifier_lambda_dead_letter_queue_name") != g("notifier_lambda_buffer_queue_name"),
            "notifier_lambda_dead_letter_queue_name must differ from notifier_lambda_buffer_queue_name (a queue cannot"
            " be its own dead-letter queue).",
        ),
        (
            1 <= len(_text(g("notifier_lambda_dead_letter_alarm_name"))) <= 255,
            "notifier_lambda_dead_letter_alarm_name must be 1-255 characters.",
        ),
        (
            _ok(TABLE_NAME_RE, g("notifier_lambda_dedup_table_name")),
            "notifier_lambda_dedup_table_name must be 3-255 letters, digits, dots, hyphens or underscores, got"
            f" {_js(_text(g('notifier_lambda_dedup_table_name')))}.",
        ),
        (
            _digits(g("notifier_lambda_dedup_ttl_days"), 4, 1, 3650),
            "notifier_lambda_dedup_ttl_days must be 1-3650 (days a dedup record is kept), got"
            f" {_js(g('notifier_lambda_dedup_ttl_days'))}.",
        ),
        (
            _digits(batch, 5, 1, 10000),
            f"notifier_lambda_batch_size must be 1-10000 (messages per invocation), got {_js(batch)}.",
        ),
        (
            _digits(window, 3, 0, 300),
            f"notifier_lambda_batch_window_seconds must be 0-300 (seconds), got {_js(window)}.",
        ),
        (
            _digits(g("notifier_lambda_digest_window_seconds"), 3, 0, 900),
            "notifier_lambda_digest_window_seconds must be 0-900 (seconds), got"
            f" {_js(g('notifier_lambda_digest_window_seconds'))}.",
        ),
        (
            _int(batch) <= 10 or _int(window) >= 1,
            "notifier_lambda_batch_window_seconds must be at least 1 when notifier_lambda_batch_size is above 10"
            f" (Lambda's rule), got {_js(window)} with a batch size of {_js(batch)}.",
        ),
        (
            _digits(g("notifier_lambda_max_concurrency"), 4, 2, 1000),
            "notifier_lambda_max_concurrency must be 2-1000 (Lambda's range for an SQS mapping), got"
            f" {_js(g('notifier_lambda_max_concurrency'))}.",
        ),
        (
            _digits(g("notifier_lambda_max_receive_count"), 4, 1, 1000),
            f"notifier_lambda_max_receive_count must be 1-1000, got {_js(g('notifier_lambda_max_receive_count'))}.",
        ),
        (
            kms == "" or (_ok(KMS_KEY_ARN_RE, kms) and len(_text(kms).rsplit("/", 1)[-1]) <= 128),
            "notifier_lambda_topic_kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, not"
            f" an alias), got {_js(_text(kms))}.",
        ),
        (
            _ok(sns, g("notifier_lambda_errors_alarm_topic_arn")),
            "notifier_lambda_errors_alarm_topic_arn must be an SNS topic ARN, got"
            f" {_js(_text(g('notifier_lambda_errors_alarm_topic_arn')))}.",
        ),
        (
            _ok(LOG_GROUP_NAME_RE, g("notifier_lambda_trail_log_group_name")),
            "notifier_lambda_trail_log_group_name (bucketguard_trail_log_group_name) must be a log group name, got"
            f" {_js(_text(g('notifier_lambda_trail_log_group_name')))}.",
        ),
        (
            _ok(RUNTIME_RE, g("notifier_lambda_runtime")),
            "notifier_lambda_runtime must be a Python Lambda runtime such as python3.13, got"
            f" {_js(_text(g('notifier_lambda_runtime')))}.",
        ),
        (
            _ok(HANDLER_RE, g("notifier_lambda_handler")),
            f"notifier_lambda_handler must be module.path.function, got {_js(_text(g('notifier_lambda_handler')))}.",
        ),
        (
            128 <= _int(g("notifier_lambda_memory_size")) <= 10240,
            f"notifier_lambda_memory_size must be 128-10240 (MB), got {_js(g('notifier_lambda_memory_size'))}.",
        ),
        (
            1 <= _int(g("notifier_lambda_timeout")) <= 900,
            f"notifier_lambda_timeout must be 1-900 (seconds), got {_js(g('notifier_lambda_timeout'))}.",
        ),
        (
            _int(g("notifier_lambda_log_retention_days")) in LOG_RETENTION_DAYS,
            f"notifier_lambda_log_retention_days must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}, got"
            f" {_js(g('notifier_lambda_log_retention_days'))}.",
        ),
        (
            0 <= _int(g("notifier_lambda_lookback_minutes")) <= 1440,
            f"notifier_lambda_lookback_minutes must be 0-1440, got {_js(g('notifier_lambda_lookback_minutes'))}.",
        ),
        (
            1 <= _int(g("notifier_lambda_max_records")) <= 1000000,
            f"notifier_lambda_max_records must be 1-1000000, got {_js(g('notifier_lambda_max_records'))}.",
        ),
        (
            0 <= _int(g("notifier_lambda_max_retry_attempts")) <= 2,
            "notifier_lambda_max_retry_attempts must be 0, 1 or 2, got"
            f" {_js(g('notifier_lambda_max_retry_attempts'))}.",
        ),
        (
            60 <= _int(g("notifier_lambda_max_event_age_seconds")) <= 21600,
            "notifier_lambda_max_event_age_seconds must be 60-21600, got"
            f" {_js(g('notifier_lambda_max_event_age_seconds'))}.",
        ),
        (
            _int(period) in (10, 20, 30) or (_int(period) >= 60 and _int(period) % 60 == 0),
            f"notifier_lambda_errors_alarm_period must be 10, 20, 30 or a multiple of 60, got {_js(period)}.",
        ),
        (
            _int(g("notifier_lambda_errors_alarm_threshold")) >= 1,
            "notifier_lambda_errors_alarm_threshold must be at least 1, got"
            f" {_js(g('notifier_lambda_errors_alarm_threshold'))}.",
        ),
        (
            not bad_entries,
            "notifier_lambda_allowlist entries must be bucket names or globs (a-z 0-9 . - * ? [ ]), not:"
            f" {_js(bad_entries)}.",
        ),
        (
            isinstance(account_name, str) and len(account_name) <= 50,
            f"notifier_lambda_account_name must be a name of at most 50 characters, got {_js(account_name)}.",
        ),
        (
            not wildcard_only,
            "notifier_lambda_allowlist entries made only of wildcards would approve every bucket, refused:"
            f" {_js(wildcard_only)}.",
        ),
        (
            _ok(ALLOW_TAG_RE, g("notifier_lambda_allow_tag")),
            f"notifier_lambda_allow_tag must be KEY=VALUE, got {_js(_text(g('notifier_lambda_allow_tag')))}.",
        ),
    ]
    return [message for ok, message in checks if not ok]


def _allow(sid: str, service: str, action: str, condition: dict, resource: str | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": action}
    if resource is not None:
        statement["Resource"] = resource
    statement["Condition"] = condition
    return statement


def notifier_lambda_facts(
    v: Mapping[str, Any],
    partition: str,
    region: str,
    hub: Mapping[str, Any] | None = None,
    prefix: str = "bucketguard",
) -> dict[str, Any]:
    """The notifier_lambda role's computed values (``__notifier_lambda_facts.<name>`` in the role; ARNs made from
    names, so they exist in check mode). ``hub``: the fleet's hub view (``bucketguard_hub``, published by the
    inventory check; {} or None in standalone mode), ``prefix``: bucketguard_name_prefix - for organisation mode's
    values (``hub_facts``)."""
    facts = _standalone_facts(v, partition, region)
    return {**facts, **hub_facts(v, facts, region, dict(hub or {}), prefix)}


FORWARDER_DESCRIPTION = "bucketguard - EventBridge forwards this account's watched S3 calls to the hub's event bus."


def hub_facts(
    v: Mapping[str, Any], facts: Mapping[str, Any], region: str, hub: dict[str, Any], prefix: str
) -> dict[str, Any]:
    """Organisation mode's values (docs/organisation.md): what the hub's home host sets (``wanted_*``: the
    standalone values when ``hub`` is empty), the member's rule target and two roles, the log account's forwarded
    alarms."""
    g = v.get
    partition, account = facts["partition"], facts["account"]
    hub_on = bool(hub)
    reader = hub_mode.reader_role_name(prefix)
    log_accounts = dict(hub.get("log_accounts") or {})
    state_rule_arn = f"arn:{partition}:events:{region}:{account}:rule/{prefix}-alarm-state"
    queue_policy = facts["buffer_queue_policy"]
    statement = {
        **queue_policy["Statement"][0],
        "Condition": {"ArnEquals": {"aws:SourceArn": [facts["rule_arn"], state_rule_arn]}},
    }
    hub_environment = {
        "BUCKETGUARD_HOME_ACCOUNT": str(account),
        "BUCKETGUARD_READER_ROLE": reader,
        "BUCKETGUARD_LOG_ACCOUNTS": json.dumps(log_accounts),
    }
    hub_account, hub_region = str(hub.get("hub_account_id") or ""), str(hub.get("hub_region") or "")
    member_log_group = log_accounts.get(str(account), "")
    home = g("notifier_lambda_home_region_name")
    alarm_names = [g("notifier_lambda_visibility_alarm_name"), f"{prefix}-trail-heartbeat", f"{prefix}-tamper"]
    return {
        "hub": hub,
        "hub_mode": hub_on,
        "reader_role_name": reader,
        # The hub's rule for the log accounts' alarm state changes (every log account but the hub itself, whose
        # alarms invoke the notifier directly); the buffer queue's policy then lets both rules send.
        "alarm_state_rule_name": f"{prefix}-alarm-state",
        "alarm_state_accounts": [a for a in log_accounts if a != account],
        "alarm_state_rule_arn": state_rule_arn,
        "wanted_policy": hub_notifier_policy(facts["policy"], partition, reader) if hub_on else facts["policy"],
        "wanted_queue_policy": {**queue_policy, "Statement": [statement]} if hub_on else queue_policy,
        "wanted_environment": {**facts["environment"], **(hub_environment if hub_on else {})},
        # A member account: its rules forward to the hub's default bus through its forwarder role, which may put
        # events there only; its reader role lets the hub notifier read its buckets (and, in the log account, the
        # organisation trail's records).
        "member_target": {
            "id": "hub-event-bus",
            "arn": str(hub.get("bus_arn") or ""),
            "role_arn": facts["forwarder_role_arn"],
        },
        "member_log_group": member_log_group,
        "member_roles": [
            {
                "name": g("notifier_lambda_forwarder_role_name"),
                "what": "forwarder",
                "description": (
                    "bucketguard - EventBridge forwards this account's watched S3 calls to the hub's event bus."
                ),
                "trust": facts["forwarder_trust"],
                "policy_name": "put-events-on-hub-bus",
                "policy": hub_mode.forwarder_policy(partition, hub_region, hub_account),
            },
            {
                "name": reader,
                "what": "reader",
                "description": (
                    "bucketguard - the hub's notifier reads this account's buckets' exposure "
                    "(and the organisation trail's records)."
                ),
                "trust": hub_mode.reader_trust_policy(
                    partition, hub_account, prefix, organization_id=str(hub.get("organization_id") or "") or None
                ),
                "policy_name": "read-bucket-exposure",
                "policy": hub_mode.reader_role_policy(
                    partition,
                    log_group_arn=hub_mode.log_group_arn(partition, home, account, member_log_group)
                    if member_log_group
                    else None,
                ),
            },
        ],
        # The log account's rule to the hub for its alarms on the organisation trail's log group (the alarm role's
        # default names: visibility, heartbeat, tamper).
        "alarm_forward_rule_name": f"{prefix}-alarm-forward",
        "log_alarm_arns": [f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}" for name in alarm_names],
    }


def _standalone_facts(v: Mapping[str, Any], partition: str, region: str) -> dict[str, Any]:
    g = v.get
    account, home, fn = (
        g("notifier_lambda_account_id"),
        g("notifier_lambda_home_region_name"),
        g("notifier_lambda_function_name"),
    )
    rule = g("notifier_lambda_event_rule_name")
    is_home = region == home
    present = g("notifier_lambda_state") == "present"
    publish_topic_arn = g("notifier_lambda_central_topic_arn") or g("notifier_lambda_topic_arn")
    log_group = f"/aws/lambda/{fn}"
    rule_arn = f"arn:{partition}:events:{region}:{account}:rule/{rule}"
    alarm_arn = f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{g('notifier_lambda_visibility_alarm_name')}"
    home_bus_arn = f"arn:{partition}:events:{home}:{account}:event-bus/default"
    forwarder_role_arn = f"arn:{partition}:iam::{account}:role/{g('notifier_lambda_forwarder_role_name')}"
    home_prefix = f"arn:{partition}:sqs:{home}:{account}"
    buffer_queue_arn = f"{home_prefix}:{g('notifier_lambda_buffer_queue_name')}"
    dead_letter_arn = f"{home_prefix}:{g('notifier_lambda_dead_letter_queue_name')}"
    dedup_table_arn = f"arn:{partition}:dynamodb:{home}:{account}:table/{g('notifier_lambda_dedup_table_name')}"
    account_name = g("notifier_lambda_account_name")
    this_account = {"StringEquals": {"aws:SourceAccount": account}}
    return {
        "partition": partition,
        "account": account,
        "is_home": is_home,
        # The task file of this host's part (tasks/main.yml).
        "tasks": ("present" if present else "absent") if is_home else ("region" if present else "region_absent"),
        "failed_invocations_description": (
            f"bucketguard: the EventBridge rule {rule} in {region} could not deliver a watched S3 call"
            f" ({'to the notifier' if is_home else 'to the ' + str(home) + ' event bus'}): check the target and the"
            " role (EventBridge retries for 24 hours)."
        ),
        "arn": f"arn:{partition}:lambda:{region}:{account}:function:{fn}",
        "role_arn": f"arn:{partition}:iam::{account}:role/{g('notifier_lambda_role_name')}",
        "log_group": log_group,
        # The topic the notifier publishes to: the central fleet topic if there is one, else the account's.
        "publish_topic_arn": publish_topic_arn,
        # The notifier role's policy, action by action (notifier_policy.py).
        "policy": notifier_policy(
            str(partition),
            account_id=str(account),
            region=str(home),
            log_group=log_group,
            trail_log_group=str(g("notifier_lambda_trail_log_group_name")),
            topic_arn=str(publish_topic_arn),
            failure_destination_arn=str(g("notifier_lambda_failure_destination_arn")),
            dead_letter_arn=dead_letter_arn,
            buffer_queue_arn=buffer_queue_arn,
            table_arn=dedup_table_arn,
            remediate=_on(g("notifier_lambda_remediate")),
            topic_kms_key_arn=str(g("notifier_lambda_topic_kms_key_arn")),
        ),
        "alarm_arn": alarm_arn,
        "rule_arn": rule_arn,
        # Other regions forward to the home region's default event bus, through the forwarder role (IAM is
        # global: the home-region host makes it).
        "home_bus_arn": home_bus_arn,
        "forwarder_role_arn": forwarder_role_arn,
        # The rule's one target: the buffer queue in the home region (the notifier reads it in batches; the queue
        # policy lets only this rule send), the home region's bus elsewhere.
        "rule_target": (
            {"id": "buffer-queue", "arn": buffer_queue_arn}
            if is_home
            else {"id": "home-event-bus", "arn": home_bus_arn, "role_arn": forwarder_role_arn}
        ),
        # The buffer queue, the dead-letter queue and the dedup table (home region, like the function).
        "home_prefix": home_prefix,
        "buffer_queue_arn": buffer_queue_arn,
        "dead_letter_arn": dead_letter_arn,
        "dedup_table_arn": dedup_table_arn,
        # AWS: a queue that feeds a function needs a visibility timeout of at least six times the function's
        # timeout (room for Lambda's retries when the function is throttled); the batching window, during which
        # received messages are already invisible, is added on top.
        "buffer_visibility_timeout": 6 * _int(g("notifier_lambda_timeout"))
        + _int(g("notifier_lambda_batch_window_seconds")),
        "buffer_retention_seconds": BUFFER_RETENTION_SECONDS,
        "dead_letter_retention_seconds": DEAD_LETTER_RETENTION_SECONDS,
        "redrive_policy": {
            "deadLetterTargetArn": dead_letter_arn,
            "maxReceiveCount": _int(g("notifier_lambda_max_receive_count")),
        },
        # Only the home region's fast-path rule may send to the buffer queue.
        "buffer_queue_policy": {
            "Version": "2012-10-17",
            "Statement": [
                _allow(
                    "OnlyOurFastPathRuleSends",
                    "events.amazonaws.com",
                    "sqs:SendMessage",
                    {"ArnEquals": {"aws:SourceArn": rule_arn}},
                    buffer_queue_arn,
                )
            ],
        },
        # The queues a teardown reads before it deletes them (alerts may wait in them).
        "queues": [
            {"name": g("notifier_lambda_dead_letter_queue_name"), "what": "dead-letter queue"},
            {"name": g("notifier_lambda_buffer_queue_name"), "what": "buffer queue"},
        ],
        "policy_name": f"{fn}-policy",
        # The role Lambda assumes: only the Lambda service of this account may assume it.
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [_allow("LambdaAssumesRole", "lambda.amazonaws.com", "sts:AssumeRole", this_account)],
        },
        # Environment of the function: every value a string (Lambda's type, and what amazon.aws.lambda compares).
        "environment": {
            "BUCKETGUARD_TOPIC_ARN": str(publish_topic_arn),
            "BUCKETGUARD_LOG_GROUP": str(g("notifier_lambda_trail_log_group_name")),
            "BUCKETGUARD_LOOKBACK_MINUTES": str(g("notifier_lambda_lookback_minutes")),
            "BUCKETGUARD_ALLOWLIST": ",".join(map(str, g("notifier_lambda_allowlist"))),
            "BUCKETGUARD_ALLOW_TAG": str(g("notifier_lambda_allow_tag")),
            "BUCKETGUARD_REMEDIATE": "true" if _on(g("notifier_lambda_remediate")) else "false",
            "BUCKETGUARD_FAST_PATH": "true" if _on(g("notifier_lambda_fast_path")) else "false",
            "BUCKETGUARD_MAX_RECORDS": str(g("notifier_lambda_max_records")),
            "BUCKETGUARD_ACCOUNT_NAMES": json.dumps({account: account_name} if account_name else {}),
            "BUCKETGUARD_DEDUP_TABLE": str(g("notifier_lambda_dedup_table_name")),
            "BUCKETGUARD_DEDUP_TTL_DAYS": str(g("notifier_lambda_dedup_ttl_days")),
            "BUCKETGUARD_DIGEST_WINDOW_SECONDS": str(g("notifier_lambda_digest_window_seconds")),
            "BUCKETGUARD_BUFFER_QUEUE": str(g("notifier_lambda_buffer_queue_name")),
        },
        # Who may invoke the function (statement ids of its resource policy): the visibility alarm. Nothing else:
        # the fast-path rule sends to the buffer queue, and the queue's event source mapping invokes with the
        # function's own role (no resource-policy statement). The rule's statement of earlier versions is removed
        # as a stray.
        "permissions": [
            {
                "sid": "bucketguard-cloudwatch-alarm",
                "principal": "lambda.alarms.cloudwatch.amazonaws.com",
                "source_arn": alarm_arn,
            }
        ],
        # EventBridge assumes the forwarder role to put the other regions' events on the home region's bus, and may
        # do nothing else with it.
        "forwarder_trust": {
            "Version": "2012-10-17",
            "Statement": [
                _allow("EventBridgeForwardsThisAccountsEvents", "events.amazonaws.com", "sts:AssumeRole", this_account)
            ],
        },
        "forwarder_policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PutEventsOnTheHomeRegionsBus",
                    "Effect": "Allow",
                    "Action": "events:PutEvents",
                    "Resource": home_bus_arn,
                }
            ],
        },
    }
