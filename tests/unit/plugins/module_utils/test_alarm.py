"""The alarm role's input check, event names, states, tamper patterns and verify values (module_utils/alarm.py).

The role's first task asserts ``alarm_problems`` is empty before any AWS call; its other values come from
``alarm_event_names`` and ``alarm_facts``. ``tests/fixtures/roles/alarm.json`` holds what the role's Jinja (the
first task's ``__alarm_input_errors`` and ``roles/alarm/vars/main.yml``) rendered before the move (issue 11): the
functions give the same messages, in the same order, and the same values, byte for byte (key order included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.alarm import (
    FILTER_PATTERN_MAX,
    alarm_event_names,
    alarm_facts,
    alarm_problems,
)

FIXTURE = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "roles" / "alarm.json").read_text())
CASES = FIXTURE["cases"]
# vars/main.yml's values and the alarm_facts key that now gives each (the regexes moved to alarm.py as constants).
FACT_OF = {
    "__alarm_present": "present",
    "__alarm_heartbeat_state": "heartbeat_state",
    "__alarm_cis_state": "cis_state",
    "__alarm_tamper_state": "tamper_state",
    "__alarm_tamper_patterns": "tamper_patterns",
    "__alarm_verify_wanted": "verify_wanted",
}


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_same_messages_and_values_as_the_roles_jinja(case: dict[str, Any]) -> None:
    v, wanted = case["inputs"], case["vars"]
    assert alarm_problems(v, case["region"]) == case["problems"]
    names = alarm_event_names(v["alarm_event_names"], v["alarm_object_acl_events"], v["alarm_create_bucket_events"])
    assert names == wanted["__alarm_event_names"]
    facts = alarm_facts(v)
    for var, key in FACT_OF.items():
        assert json.dumps(facts[key]) == json.dumps(wanted[var]), var
    assert wanted["__alarm_filter_pattern_max"] == FILTER_PATTERN_MAX


def test_the_fixture_covers_every_message_and_the_opt_ins() -> None:
    messages = {p.split(" ")[0] for case in CASES for p in case["problems"]}
    assert messages == {
        "alarm_account_id",
        "aws_region",
        "alarm_event_names",
        "alarm_filter_pattern",
        "alarm_cis_filter_pattern",
        "alarm_notifier_arn",
        "alarm_topic_arn",
        "alarm_log_group_name",
        "alarm",  # "alarm names and metric filter names ..."
        "alarm_filter_name",
        "alarm_period",
        "alarm_heartbeat_period",
    }
    assert CASES[0]["problems"] == []
    assert max(len(case["problems"]) for case in CASES) > 5  # one case with many problems: the order is checked
    assert any(case["inputs"]["alarm_tamper_ignore_roles"] for case in CASES)
    assert any(case["region"].startswith("cn-") for case in CASES)


def test_defaults_are_valid_and_parts_follow_the_switches() -> None:
    v = CASES[0]["inputs"]
    assert alarm_problems(v, "eu-west-3") == []
    facts = alarm_facts(v)
    assert (facts["heartbeat_state"], facts["cis_state"], facts["tamper_state"]) == ("present", "absent", "present")
    absent = alarm_facts({**v, "alarm_state": "absent"})
    assert {absent[k] for k in ("heartbeat_state", "cis_state", "tamper_state")} == {"absent"}
    assert absent["present"] is False


def test_opt_in_event_names_are_added_once_in_order() -> None:
    assert alarm_event_names(["PutBucketAcl"], object_acl=True, create_bucket="yes") == [
        "PutBucketAcl",
        "PutObjectAcl",
        "CreateBucket",
    ]
    assert alarm_event_names(["PutObjectAcl", "PutBucketAcl"], object_acl=True) == ["PutObjectAcl", "PutBucketAcl"]
    assert alarm_event_names(["PutBucketAcl"], object_acl="no", create_bucket=False) == ["PutBucketAcl"]
