"""The dashboards' bodies and the dashboard role's input checks, as plain functions."""

from __future__ import annotations

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import dashboard_body as db
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import EXPOSURE_EVENTS_DEFAULT

INPUTS = {
    "account_id": "111111111111",
    "region": "eu-west-3",
    "partition": "aws",
    "name": "bucketguard-s3-visibility",
    "alarm_name": "bucketguard-s3-visibility-change",
    "heartbeat_alarm_name": "bucketguard-trail-heartbeat",
    "tamper_alarm_name": "bucketguard-tamper",
    "log_group_name": "/bucketguard/cloudtrail",
    "event_names": list(EXPOSURE_EVENTS_DEFAULT),
    "query_limit": "100",
    "time_range": "-PT24H",
    "metric_namespace": "Bucketguard",
    "metric_name": "BucketVisibilityChanges",
    "metric_period": "60",
    "alarm_threshold": "1",
    "notifier_function_name": "bucketguard-notifier",
    "notifier_period": "300",
    "rule_name": "bucketguard-s3-visibility-change",
    "rule_regions": ["eu-west-3", "us-east-1", "eu-west-3"],
    "dead_letter_alarm_name": "bucketguard-dead-letter-waiting",
    "dead_letter_queue_name": "bucketguard-dead-letter",
    "buffer_queue_name": "bucketguard-fast-path",
    "runbook_markdown": "",
    "fleet": False,
    "fleet_name": "bucketguard-fleet",
    "fleet_alarms": [],
}


def overlaps(widgets: list[dict]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(widgets)
        for j, b in enumerate(widgets)
        if i < j
        and a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    ]


def test_account_body_lays_out_every_widget_on_the_grid() -> None:
    body = db.account_body(INPUTS)
    widgets = body["widgets"]
    assert sorted(w["type"] for w in widgets) == ["alarm", "log"] + ["metric"] * 7 + ["text"]
    assert overlaps(widgets) == []
    assert all(w["x"] >= 0 and w["x"] + w["width"] <= 24 for w in widgets)
    assert body["start"] == "-PT24H"


def test_account_body_names_our_three_alarms_and_reads_the_one_event_list() -> None:
    widgets = db.account_body(INPUTS)["widgets"]
    alarms = next(w for w in widgets if w["type"] == "alarm")["properties"]["alarms"]
    assert alarms == [
        "arn:aws:cloudwatch:eu-west-3:111111111111:alarm:bucketguard-s3-visibility-change",
        "arn:aws:cloudwatch:eu-west-3:111111111111:alarm:bucketguard-trail-heartbeat",
        "arn:aws:cloudwatch:eu-west-3:111111111111:alarm:bucketguard-tamper",
        "arn:aws:cloudwatch:eu-west-3:111111111111:alarm:bucketguard-dead-letter-waiting",
    ]
    query = next(w for w in widgets if w["type"] == "log")["properties"]["query"]
    assert query.startswith("SOURCE '/bucketguard/cloudtrail'")
    assert all(f'"{name}"' in query for name in EXPOSURE_EVENTS_DEFAULT)
    assert query.endswith("| limit 100")


def test_numbers_are_numbers_and_regions_are_not_repeated() -> None:
    widgets = db.account_body(INPUTS)["widgets"]
    change = next(w for w in widgets if w["type"] == "metric" and w["properties"]["metrics"][0][0] == "Bucketguard")
    assert change["properties"]["period"] == 60
    assert change["properties"]["annotations"]["horizontal"][0]["value"] == 1.0
    failed = next(
        w for w in widgets if w["type"] == "metric" and w["properties"]["metrics"][0][1] == "FailedInvocations"
    )
    assert [m[4]["region"] for m in failed["properties"]["metrics"]] == ["eu-west-3", "us-east-1"]
    assert failed["properties"]["period"] == 300


def test_own_runbook_replaces_the_default() -> None:
    default = next(w for w in db.account_body(INPUTS)["widgets"] if w["type"] == "text")["properties"]["markdown"]
    assert "Visibility alarm red" in default and "111111111111" in default and "/bucketguard/cloudtrail" in default
    own = next(w for w in db.account_body({**INPUTS, "runbook_markdown": "# ours"})["widgets"] if w["type"] == "text")
    assert own["properties"]["markdown"] == "# ours"


def test_partition_reaches_the_alarm_arns() -> None:
    alarms = db.account_body({**INPUTS, "partition": "aws-cn"})["widgets"][0]["properties"]["alarms"]
    assert all(a.startswith("arn:aws-cn:cloudwatch:") for a in alarms)


def hosts(n: int) -> dict[str, dict]:
    out = {}
    for i in range(n):
        account = f"{200000000000 + i}"
        home = {"bucketguard_account_id": account, "bucketguard_home_region_name": "eu-west-1"}
        out[f"h{i}"] = {**home, "aws_region": "eu-west-1"}  # the home host: its region is the home region
        out[f"h{i}-other"] = {**home, "aws_region": "us-east-1"}
    return out


def test_fleet_alarms_takes_home_hosts_only_with_their_names() -> None:
    found = hosts(2)
    found["h1"].update(bucketguard_name_prefix="sec", dashboard_alarm_name="custom")
    alarms = db.fleet_alarms(found, list(found))
    assert alarms == [
        {"account_id": "200000000000", "region": "eu-west-1", "alarm_name": "bucketguard-s3-visibility-change"},
        {"account_id": "200000000000", "region": "eu-west-1", "alarm_name": "bucketguard-trail-heartbeat"},
        {"account_id": "200000000000", "region": "eu-west-1", "alarm_name": "bucketguard-tamper"},
        {"account_id": "200000000001", "region": "eu-west-1", "alarm_name": "custom"},
        {"account_id": "200000000001", "region": "eu-west-1", "alarm_name": "sec-trail-heartbeat"},
        {"account_id": "200000000001", "region": "eu-west-1", "alarm_name": "sec-tamper"},
    ]


@pytest.mark.parametrize(("accounts", "tiles"), [(2, [6]), (34, [100, 2]), (67, [100, 100, 1])])
def test_fleet_body_batches_100_alarms_per_widget(accounts: int, tiles: list[int]) -> None:
    found = hosts(accounts)
    alarms = db.fleet_alarms(found, list(found))
    body = db.fleet_body({**INPUTS, "fleet": True, "fleet_alarms": alarms})
    widgets = body["widgets"]
    assert [len(w["properties"]["alarms"]) for w in widgets if w["type"] == "alarm"] == tiles
    assert widgets[-1]["type"] == "text"
    assert f"({accounts} accounts, {3 * accounts} alarms)" in widgets[-1]["properties"]["markdown"]
    assert overlaps(widgets) == []
    if len(tiles) > 1:
        assert widgets[0]["properties"]["title"] == f"Alarms of every account (1/{len(tiles)})"
    assert widgets[-1]["height"] <= 1000


def test_good_inputs_have_no_problems() -> None:
    assert db.problems(INPUTS) == []
    assert db.problems({**INPUTS, "fleet": True, "fleet_alarms": db.fleet_alarms(hosts(1), ["h0"])}) == []


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"account_id": "12345"}, "dashboard_account_id"),
        ({"region": "eu-west-3\n"}, "dashboard_region"),
        ({"name": "has space"}, "dashboard_name"),
        ({"heartbeat_alarm_name": ""}, "dashboard_alarm_name and dashboard_heartbeat_alarm_name"),
        ({"log_group_name": "bad group"}, "dashboard_log_group_name"),
        ({"notifier_function_name": "x" * 65}, "dashboard_notifier_function_name"),
        ({"event_names": ["PutBucketPolicy", "Put Bucket"]}, "dashboard_event_names"),
        ({"event_names": []}, "dashboard_event_names"),
        ({"time_range": "PT24H"}, "dashboard_time_range"),
        ({"metric_period": "45"}, "dashboard_metric_period"),
        ({"notifier_period": "0"}, "dashboard_notifier_period"),
        ({"query_limit": "10001"}, "dashboard_query_limit"),
        ({"fleet": True, "fleet_name": "a b"}, "dashboard_fleet_name"),
        ({"dead_letter_queue_name": "a.fifo"}, "dashboard_dead_letter_queue_name"),
        ({"buffer_queue_name": ""}, "dashboard_buffer_queue_name"),
        ({"dead_letter_alarm_name": ""}, "dashboard_dead_letter_alarm_name"),
        (
            {"fleet": True, "fleet_alarms": [{"account_id": "1", "region": "eu-west-1", "alarm_name": "a"}]},
            "dashboard_fleet_alarms",
        ),
    ],
)
def test_a_bad_input_is_named(change: dict, variable: str) -> None:
    found = db.problems({**INPUTS, **change})
    assert len(found) == 1, found
    assert found[0].startswith(variable)


def test_verify_findings() -> None:
    same = {"diff": {"before": {"widgets": [1]}, "after": {"widgets": [1]}}}
    other = {"diff": {"before": {"widgets": [1]}, "after": {"widgets": [2]}}}
    missing = {"diff": {"before": {}, "after": {"widgets": [1]}}}
    assert db.verify_findings([same], ["a"]) == []
    assert db.verify_findings([other, missing], ["a", "b"]) == [
        "dashboard a differs from the body the role sends (widgets or text)",
        "dashboard b is missing",
    ]


# sha256 of the standalone bodies rendered before organisation mode reached the dashboard (issue 13): hub mode must
# not change a byte of them.
STANDALONE_SHA256 = {
    "account": "29617acebbf80874f38cdd2543ecc6d175ccf368948a7015b8b1ef0488a2b1d6",
    "own": "fdda731ffcb64e53349924470f18cb11135d06bb67e8becf2824f1b3427c34ad",
    "cn": "07e77ab962afb15e0065a2f24cea444a5affb018d9c982367dcdf077486dfcad",
}
HUB = {
    "hub_account_id": "111111111111",
    "hub_region": "eu-west-3",
    "organization_id": "o-abcdefghij",
    "partition": "aws",
    "members": ["222222222222", "333333333333"],
    "log_accounts": {"333333333333": "aws-controltower/CloudTrailLogs"},
    "bus_arn": "arn:aws:events:eu-west-3:111111111111:event-bus/default",
}


def sha256_of(body: dict) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("hub", [None, {}])
def test_standalone_bodies_are_byte_identical(hub: dict | None) -> None:
    extra = {} if hub is None else {"hub": hub, "name_prefix": "bucketguard", "account_names": {}}
    bodies = {
        "account": db.account_body({**INPUTS, **extra}),
        "own": db.account_body({**INPUTS, **extra, "runbook_markdown": "# ours"}),
        "cn": db.account_body({**INPUTS, **extra, "partition": "aws-cn"}),
    }
    assert {k: sha256_of(b) for k, b in bodies.items()} == STANDALONE_SHA256


def test_hub_body_adds_the_alarm_state_graph_and_the_organisation_text() -> None:
    names = {"222222222222": "payments | *prod*", "333333333333": "log-archive"}
    body = db.account_body({**INPUTS, "hub": HUB, "name_prefix": "sec", "account_names": names})
    widgets = body["widgets"]
    assert overlaps(widgets) == []
    assert all(w["x"] >= 0 and w["x"] + w["width"] <= 24 for w in widgets)
    assert sorted(w["type"] for w in widgets) == ["alarm", "log"] + ["metric"] * 8 + ["text"] * 2
    fast, state = (w for w in widgets if w["type"] == "metric" and w["properties"]["metrics"][0][0] == "AWS/Events")
    assert (fast["x"], fast["y"], fast["width"]) == (0, 30, 12)
    assert (state["x"], state["y"], state["width"]) == (12, 30, 12)
    assert [m[:4] for m in state["properties"]["metrics"]] == [
        ["AWS/Events", "Invocations", "RuleName", "sec-alarm-state"],
        ["AWS/Events", "FailedInvocations", "RuleName", "sec-alarm-state"],
    ]
    assert state["properties"]["region"] == "eu-west-3" and state["properties"]["stat"] == "Sum"
    text = widgets[-1]["properties"]["markdown"]
    assert text.startswith("## Organisation mode")
    assert "arn:aws:events:eu-west-3:111111111111:event-bus/default" in text
    assert "| 222222222222 | payments \\| \\*prod\\* |" in text  # escaped as audit_report.md escapes
    assert "| 333333333333 | log-archive | aws-controltower/CloudTrailLogs |" in text
    assert "sec-fast-path-failed" in text and "sec-trail-heartbeat" in text and "sec-tamper" in text
    assert "cross-account observability" in text and "verify.yml" in text
    # the standalone runbook text is untouched
    assert widgets[1] == db.account_body(INPUTS)["widgets"][1]


def test_hub_text_without_log_accounts_or_names() -> None:
    text = db.hub_text({**HUB, "log_accounts": {}, "organization_id": ""}, "bucketguard")
    assert "| 222222222222 | - |" in text and "None (no host has `bucketguard_organization_trail: true`)." in text
    assert "organisation o-" not in text


@pytest.mark.parametrize(
    "hub", ["yes", {"hub_account_id": "1", "members": [], "log_accounts": {}}, {**HUB, "members": "222222222222"}]
)
def test_a_bad_hub_is_named(hub: object) -> None:
    found = db.problems({**INPUTS, "hub": hub})
    assert len(found) == 1 and found[0].startswith("dashboard_hub"), found


def test_the_hub_fact_is_a_good_input() -> None:
    assert db.problems({**INPUTS, "hub": HUB}) == []
