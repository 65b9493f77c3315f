# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The dashboards' bodies and the dashboard role's input checks (pure, standard library).

The ``dashboard`` role hands its inputs, as one dict, to the ``dashboard_body`` and ``dashboard_problems``
filters; deploy sends the body with ``cloudwatch_dashboard`` and verify compares the same body with that
module in check mode. Keys of ``inputs`` (the role's variables without the ``dashboard_`` prefix):
``account_id, region, partition, name, alarm_name, heartbeat_alarm_name, tamper_alarm_name, log_group_name,
event_names, query_limit, time_range, metric_namespace, metric_name, metric_period, alarm_threshold,
notifier_function_name, notifier_period, rule_name, rule_regions, dead_letter_alarm_name, dead_letter_queue_name,
buffer_queue_name, runbook_markdown, fleet, fleet_name, fleet_alarms, hub, name_prefix, account_names``.

``hub`` is the ``bucketguard_hub`` fact (plugins/module_utils/hub.py ``hub_fleet``; {} in standalone mode): on the
hub account's dashboard it adds the hub's ``{prefix}-alarm-state`` rule graph and the "Organisation mode" text.
Standalone bodies do not change.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from ansible_collections.bucketguard.visibility.plugins.module_utils.audit_report import md
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import LOG_GROUP_NAME_RE, is_home_host

ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
FUNCTION_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
QUEUE_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")
EVENT_NAME_RE = re.compile(r"[A-Za-z]+")
TIME_RANGE_RE = re.compile(r"-P(?=\d|T\d)(\d+[YMWD])*(T(\d+[HMS])+)?")
SHORT_PERIODS = (1, 5, 10, 30)
ALARM_WIDGET_MAX = 100  # a CloudWatch alarm status widget shows at most 100 alarms
Y_AXIS = {"left": {"min": 0, "showUnits": False}}
FOOTER = "*Made by Ansible (bucketguard.visibility.dashboard): {what} are overwritten on the next run.*"


def _match(regex: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and regex.fullmatch(value) is not None


def _period_ok(value: Any) -> bool:
    try:
        period = int(value)
    except (TypeError, ValueError):
        return False
    return period in SHORT_PERIODS or (period > 0 and period % 60 == 0)


def _int_between(value: Any, low: int, high: int) -> bool:
    try:
        return low <= int(value) <= high
    except (TypeError, ValueError):
        return False


def fleet_alarm_problems(alarms: Any) -> list[Any]:
    """The ``fleet_alarms`` entries that lack a 12-digit account_id, a region name or an alarm_name."""
    if not isinstance(alarms, list):
        return [alarms]
    return [
        a
        for a in alarms
        if not isinstance(a, dict)
        or not _match(ACCOUNT_ID_RE, str(a.get("account_id", "")))
        or not _match(REGION_RE, a.get("region"))
        or not a.get("alarm_name")
    ]


def problems(inputs: dict[str, Any]) -> list[str]:
    """One sentence per invalid input, naming the variable; [] when every input is valid."""
    v = inputs
    out = []

    def show(value: Any) -> str:
        return json.dumps(value, default=str)

    if not _match(ACCOUNT_ID_RE, str(v.get("account_id", ""))):
        out.append(f"dashboard_account_id (bucketguard_account_id) must be 12 digits, got {show(v.get('account_id'))}.")
    if not _match(REGION_RE, v.get("region")):
        out.append(
            f"dashboard_region (aws_region) must be a region name such as eu-west-3, got {show(v.get('region'))}."
        )
    if not _match(NAME_RE, v.get("name")):
        out.append(f"dashboard_name must be 1-255 letters, digits, hyphens or underscores, got {show(v.get('name'))}.")
    if not v.get("alarm_name") or not v.get("heartbeat_alarm_name"):
        out.append("dashboard_alarm_name and dashboard_heartbeat_alarm_name must not be empty.")
    if not _match(LOG_GROUP_NAME_RE, v.get("log_group_name")):
        out.append(
            "dashboard_log_group_name must be a log group name such as /bucketguard/cloudtrail, "
            f"got {show(v.get('log_group_name'))}."
        )
    if not _match(FUNCTION_RE, v.get("notifier_function_name")):
        out.append(
            "dashboard_notifier_function_name must be 1-64 letters, digits, hyphens or underscores, "
            f"got {show(v.get('notifier_function_name'))}."
        )
    for key in ("dead_letter_queue_name", "buffer_queue_name"):
        if not _match(QUEUE_RE, v.get(key)):
            out.append(
                f"dashboard_{key} must be an SQS queue name (1-80 letters, digits, hyphens, underscores), "
                f"got {show(v.get(key))}."
            )
    if not v.get("dead_letter_alarm_name"):
        out.append("dashboard_dead_letter_alarm_name must not be empty.")
    names = v.get("event_names")
    if not isinstance(names, list) or not names or not all(_match(EVENT_NAME_RE, n) for n in names):
        out.append(
            "dashboard_event_names must be a non-empty list of CloudTrail event names (letters only), "
            f"got {show(names)}."
        )
    if not _match(TIME_RANGE_RE, v.get("time_range")):
        out.append(
            "dashboard_time_range must be an ISO 8601 duration before now such as -PT24H or -P7D, "
            f"got {show(v.get('time_range'))}."
        )
    for key in ("metric_period", "notifier_period"):
        if not _period_ok(v.get(key)):
            out.append(f"dashboard_{key} must be 1, 5, 10, 30 or a multiple of 60 seconds, got {show(v.get(key))}.")
    if not _int_between(v.get("query_limit"), 1, 10000):
        out.append(f"dashboard_query_limit must be between 1 and 10000, got {show(v.get('query_limit'))}.")
    if v.get("fleet"):
        if not _match(NAME_RE, v.get("fleet_name")):
            out.append(
                "dashboard_fleet_name must be 1-255 letters, digits, hyphens or underscores, "
                f"got {show(v.get('fleet_name'))}."
            )
        bad = fleet_alarm_problems(v.get("fleet_alarms"))
        if bad:
            out.append(
                "dashboard_fleet_alarms entries need a 12-digit account_id, a region and an alarm_name; "
                f"these do not: {show(bad)}."
            )
    hub = v.get("hub")
    if hub is None:
        hub = {}
    if not isinstance(hub, dict):
        out.append(
            f"dashboard_hub must be the bucketguard_hub fact (a dict, {{}} in standalone mode), got {show(hub)}."
        )
    elif hub:
        members = hub.get("members")
        logs = hub.get("log_accounts")
        if (
            not _match(ACCOUNT_ID_RE, str(hub.get("hub_account_id", "")))
            or not isinstance(members, list)
            or not all(_match(ACCOUNT_ID_RE, str(m)) for m in members)
            or not isinstance(logs, dict)
            or not all(_match(ACCOUNT_ID_RE, str(a)) for a in logs)
        ):
            out.append(
                "dashboard_hub needs hub_account_id (12 digits), members (a list of account ids) and log_accounts "
                f"({{account id: log group}}) as playbooks/check_inventory.yml publishes them, got {show(hub)}."
            )
    return out


def alarm_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{name}"


def insights_query(log_group: str, event_names: list[str], limit: int) -> str:
    """Logs Insights: the watched calls, newest first, one row per call with the columns a responder needs.
    Account-level calls have no bucket; access-point calls name the access point."""
    return (
        f"SOURCE '{log_group}'\n"
        f'| filter eventSource = "s3.amazonaws.com" and eventName in {json.dumps(list(event_names))}\n'
        "| fields @timestamp as time, eventName as event,\n"
        "    coalesce(requestParameters.bucketName, requestParameters.CreateAccessPointRequest.Bucket, "
        'requestParameters.name, "(account)") as bucket,\n'
        "    coalesce(userIdentity.arn, userIdentity.principalId) as who,\n"
        "    sourceIPAddress as source_ip, awsRegion as region,\n"
        '    coalesce(errorCode, "ok") as result\n'
        "| sort @timestamp desc\n"
        f"| limit {limit}"
    )


def runbook(account_id: str, region: str, log_group: str, function_name: str, dead_letters: str, buffer: str) -> str:
    return "\n".join(
        [
            f"## S3 bucket visibility — account {account_id}, {region}",
            "Left: the visibility alarm (red = a bucket's Block Public Access, policy, ACL, ownership or an access "
            "point changed",
            "in the last minutes) and the trail heartbeat (red = CloudTrail stopped delivering: changes would go "
            "unseen).",
            f"Below: changes per minute, every such call from `{log_group}`,",
            f"and the notifier `{function_name}` that emails the details.",
            "",
            "**Visibility alarm red**",
            "1. Find the call in the table below: bucket, who, source IP. A `result` other than `ok` means the call "
            "failed and nothing changed.",
            "2. Read the notifier's email: is the bucket exposed now?",
            "3. Not expected: ask `who`, restore Block Public Access, remove the public policy, ACL or access point.",
            "4. The alarm returns to OK by itself after 5 quiet minutes.",
            "",
            "**Heartbeat red:** `aws cloudtrail get-trail-status`, then the trail's delivery to CloudWatch Logs.",
            "**Tamper red:** someone deleted, disabled or re-pointed bucketguard's own rule, alarms, filters, "
            "notifier, topic, trail,",
            "log groups or roles: find the call in the table's log group (eventSource and the resource name) and ask "
            "who; run verify.yml.",
            f"**Notifier errors:** read `/aws/lambda/{function_name}`; the alarm fires without the notifier.",
            f"**Dead letters red:** alerts the notifier could not report wait in `{dead_letters}`: fix the cause",
            f"(errors above, the topic, KMS), then replay them into `{buffer}` (docs/roles/notifier_lambda.md).",
            "",
            FOOTER.format(what="changes made in the console"),
        ]
    )


def hub_text(hub: dict[str, Any], prefix: str, names: dict[str, Any] | None = None) -> str:
    """The hub dashboard's "Organisation mode" text: the bus, the member and log accounts, where their alarms live.
    Every value from the inventory is escaped (audit_report.md)."""
    names = names or {}
    members = [str(m) for m in hub.get("members") or []]
    logs = {str(a): g for a, g in (hub.get("log_accounts") or {}).items()}
    lines = [
        f"## Organisation mode — hub account {md(hub.get('hub_account_id'))}, {md(hub.get('hub_region'))}",
        f"Member accounts' S3 events arrive on the hub bus {md(hub.get('bus_arn'))}"
        + (f" (organisation {md(hub.get('organization_id'))})" if hub.get("organization_id") else "")
        + "; this account's notifier reads their buckets through each member's reader role.",
        "",
        "**Where the other accounts' alarms live.** Each member's fast-path rule has its FailedInvocations alarm "
        f"{md(prefix)}-fast-path-failed in every region of that member (in the member account); each log "
        f"account has its visibility, heartbeat and tamper alarms ({md(prefix)}-s3-visibility-change, "
        f"{md(prefix)}-trail-heartbeat, {md(prefix)}-tamper) on its organisation trail's log group, in its "
        "home region. This dashboard cannot show them: CloudWatch dashboards show another account's alarms only "
        "with CloudWatch cross-account observability, which bucketguard does not set up. `playbooks/verify.yml` "
        "checks them in every account. The log accounts' alarm state changes reach this account's notifier "
        f"through the rule {md(prefix)}-alarm-state (graph above).",
        "",
        f"**Member accounts ({len(members)})**",
        "",
        "| account | name |",
        "| --- | --- |",
    ]
    lines += [f"| {md(m)} | {md(names.get(m) or '-')} |" for m in members]
    lines += ["", f"**Log accounts ({len(logs)})**", ""]
    if logs:
        lines += ["| account | name | organisation trail log group |", "| --- | --- | --- |"]
        lines += [f"| {md(a)} | {md(names.get(a) or '-')} | {md(g)} |" for a, g in sorted(logs.items())]
    else:
        lines.append("None (no host has `bucketguard_organization_trail: true`).")
    lines += ["", FOOTER.format(what="changes made in the console")]
    return "\n".join(lines)


def _metric(x: int, y: int, width: int, title: str, region: str, period: int, metrics: list, **extra: Any) -> dict:
    properties: dict[str, Any] = {"title": title, "region": region, "view": "timeSeries"}
    properties.update(extra)
    properties.update({"period": period, "metrics": metrics, "yAxis": Y_AXIS})
    return {"type": "metric", "x": x, "y": y, "width": width, "height": 6, "properties": properties}


def account_body(inputs: dict[str, Any]) -> dict[str, Any]:
    """The account's dashboard: alarms and runbook on top, the change count, the table of calls, the notifier,
    the fast path's failed deliveries per region, the dead-letter and buffer queues."""
    v = inputs
    partition = v.get("partition") or "aws"
    region, account = v["region"], str(v["account_id"])
    function = v["notifier_function_name"]
    period = int(v["notifier_period"])
    lambda_metric = ["AWS/Lambda", "{name}", "FunctionName", function]
    regions = list(dict.fromkeys(v.get("rule_regions") or [region]))
    hub = v.get("hub") or {}
    body = {
        "start": v["time_range"],
        "periodOverride": "inherit",
        "widgets": [
            {
                "type": "alarm",
                "x": 0,
                "y": 0,
                "width": 6,
                "height": 9,
                "properties": {
                    "title": "Alarms (red = act now)",
                    "alarms": [
                        alarm_arn(partition, region, account, v[key])
                        for key in ("alarm_name", "heartbeat_alarm_name", "tamper_alarm_name", "dead_letter_alarm_name")
                    ],
                },
            },
            {
                "type": "text",
                "x": 6,
                "y": 0,
                "width": 18,
                "height": 9,
                "properties": {
                    "markdown": v.get("runbook_markdown")
                    or runbook(
                        account,
                        region,
                        v["log_group_name"],
                        function,
                        v["dead_letter_queue_name"],
                        v["buffer_queue_name"],
                    )
                },
            },
            _metric(
                0,
                9,
                24,
                f"S3 visibility changes ({v['metric_period']} s sums)",
                region,
                int(v["metric_period"]),
                [[v["metric_namespace"], v["metric_name"], {"label": "Visibility changes"}]],
                stacked=False,
                stat="Sum",
                annotations={"horizontal": [{"label": "Alarm threshold", "value": float(v["alarm_threshold"])}]},
            ),
            {
                "type": "log",
                "x": 0,
                "y": 15,
                "width": 24,
                "height": 9,
                "properties": {
                    "title": "Recent visibility changes (CloudTrail, newest first)",
                    "region": region,
                    "view": "table",
                    "query": insights_query(v["log_group_name"], v["event_names"], int(v["query_limit"])),
                },
            },
            _metric(
                0,
                24,
                8,
                "Notifier invocations",
                region,
                period,
                [[m.format(name="Invocations") for m in lambda_metric] + [{"label": "Invocations"}]],
                stat="Sum",
            ),
            _metric(
                8,
                24,
                8,
                "Notifier errors",
                region,
                period,
                [[m.format(name="Errors") for m in lambda_metric] + [{"label": "Errors", "color": "#d62728"}]],
                stat="Sum",
            ),
            _metric(
                16,
                24,
                8,
                "Notifier duration (ms)",
                region,
                period,
                [
                    [m.format(name="Duration") for m in lambda_metric] + [{"stat": stat, "label": stat}]
                    for stat in ("Average", "Maximum")
                ],
            ),
            _metric(
                0,
                30,
                12 if hub else 24,
                "Fast path - deliveries EventBridge could not make, per region (FailedInvocations; 0 is healthy)",
                region,
                period,
                [
                    ["AWS/Events", "FailedInvocations", "RuleName", v["rule_name"], {"region": r, "label": r}]
                    for r in regions
                ],
                stat="Sum",
            ),
            _metric(
                0,
                36,
                12,
                "Dead-letter queue - alerts waiting to be replayed (0 is healthy)",
                region,
                period,
                [
                    [
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        v["dead_letter_queue_name"],
                        {"label": "Messages waiting", "color": "#d62728"},
                    ]
                ],
                stat="Maximum",
            ),
            _metric(
                12,
                36,
                12,
                "Buffer queue - age of the oldest event not yet mailed (s)",
                region,
                period,
                [
                    [
                        "AWS/SQS",
                        "ApproximateAgeOfOldestMessage",
                        "QueueName",
                        v["buffer_queue_name"],
                        {"label": "Oldest event"},
                    ]
                ],
                stat="Maximum",
            ),
        ],
    }
    if hub:
        prefix = v.get("name_prefix") or "bucketguard"
        rule = f"{prefix}-alarm-state"
        members = len(hub.get("members") or []) + len(hub.get("log_accounts") or {})
        body["widgets"][-3:-2] = [
            body["widgets"][-3],
            _metric(
                12,
                30,
                12,
                "Hub - log accounts' alarm state changes to the notifier (FailedInvocations: 0 is healthy)",
                region,
                period,
                [
                    ["AWS/Events", "Invocations", "RuleName", rule, {"label": "Invocations"}],
                    [
                        "AWS/Events",
                        "FailedInvocations",
                        "RuleName",
                        rule,
                        {"label": "FailedInvocations", "color": "#d62728"},
                    ],
                ],
                stat="Sum",
            ),
        ]
        body["widgets"].append(
            {
                "type": "text",
                "x": 0,
                "y": 42,
                "width": 24,
                "height": min(12 + members, 1000),
                "properties": {"markdown": hub_text(hub, prefix, v.get("account_names") or {})},
            }
        )
    return body


def fleet_alarms(hosts: dict[str, Any], play_hosts: list[str]) -> list[dict[str, str]]:
    """For every home-region host of the play: its visibility, heartbeat and tamper alarms."""
    found = []
    for host in play_hosts:
        hv = hosts[host]
        if not is_home_host(hv):
            continue
        prefix = hv.get("bucketguard_name_prefix") or "bucketguard"
        region = hv.get("bucketguard_home_region_name") or hv.get("aws_region") or ""
        account = str(hv.get("bucketguard_account_id", ""))
        for key, suffix in (
            ("dashboard_alarm_name", "s3-visibility-change"),
            ("dashboard_heartbeat_alarm_name", "trail-heartbeat"),
            ("dashboard_tamper_alarm_name", "tamper"),
        ):
            found.append({"account_id": account, "region": region, "alarm_name": hv.get(key) or f"{prefix}-{suffix}"})
    return found


def _fleet_text(alarms: list[dict[str, Any]]) -> str:
    accounts = len({str(a["account_id"]) for a in alarms})
    lines = [
        f"## S3 bucket visibility — fleet ({accounts} accounts, {len(alarms)} alarms)",
        "",
        "The tiles above show the state of every account's visibility, heartbeat and tamper alarms **when this "
        "account can see",
        "the other accounts' alarms** (a monitoring account with CloudWatch cross-account observability). Elsewhere "
        "the",
        "tiles of other accounts stay empty: use the links below (they open the alarm in the account you are signed "
        "in to).",
        "",
        "| account | region | alarm |",
        "| --- | --- | --- |",
    ]
    for a in sorted(alarms, key=lambda a: (str(a["account_id"]), a["region"], a["alarm_name"])):
        url = (
            f"https://{a['region']}.console.aws.amazon.com/cloudwatch/home?region={a['region']}"
            f"#alarmsV2:alarm/{quote(a['alarm_name'], safe='')}"
        )
        lines.append(f"| {a['account_id']} | {a['region']} | [{a['alarm_name']}]({url}) |")
    lines += ["", FOOTER.format(what="edits in the console")]
    return "\n".join(lines)


def fleet_body(inputs: dict[str, Any]) -> dict[str, Any]:
    """Status tiles of every account's alarms (at most 100 per widget, about 6 tiles per row of 2 grid units),
    then a table with console links."""
    partition = inputs.get("partition") or "aws"
    alarms = list(inputs.get("fleet_alarms") or [])
    arns = [alarm_arn(partition, a["region"], str(a["account_id"]), a["alarm_name"]) for a in alarms]
    batches = [arns[i : i + ALARM_WIDGET_MAX] for i in range(0, len(arns), ALARM_WIDGET_MAX)]
    widgets: list[dict[str, Any]] = []
    y = 0
    for index, batch in enumerate(batches, start=1):
        height = 2 + 2 * ((len(batch) + 5) // 6)
        suffix = f" ({index}/{len(batches)})" if len(batches) > 1 else ""
        widgets.append(
            {
                "type": "alarm",
                "x": 0,
                "y": y,
                "width": 24,
                "height": height,
                "properties": {
                    "title": f"Alarms of every account{suffix}",
                    "alarms": batch,
                    "sortBy": "stateUpdatedTimestamp",
                },
            }
        )
        y += height
    widgets.append(
        {
            "type": "text",
            "x": 0,
            "y": y,
            "width": 24,
            "height": min(6 + (len(alarms) * 2) // 3, 1000),
            "properties": {"markdown": _fleet_text(alarms)},
        }
    )
    return {"start": inputs["time_range"], "widgets": widgets}


def verify_findings(results: list[dict[str, Any]], names: list[str]) -> list[str]:
    """What verify reports from ``cloudwatch_dashboard``'s check-mode results (diff on), one per dashboard."""
    out = []
    for name, result in zip(names, results, strict=False):
        diff = (result or {}).get("diff") or {}
        if not diff.get("before"):
            out.append(f"dashboard {name} is missing")
        elif diff.get("before") != diff.get("after"):
            out.append(f"dashboard {name} differs from the body the role sends (widgets or text)")
    return out
