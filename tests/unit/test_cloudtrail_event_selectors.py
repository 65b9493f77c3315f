"""bucketguard.visibility.cloudtrail_event_selectors: the pure normalise/compare helpers, and main() with a fake
CloudTrail client (check mode makes no PutEventSelectors call; key, order and empty-list differences are no change).
"""

from __future__ import annotations

import copy
from typing import Any

import botocore.exceptions
import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import cloudtrail_event_selectors as module
from ansible_collections.bucketguard.visibility.plugins.modules.cloudtrail_event_selectors import (
    normalize_advanced_selectors,
    normalize_basic_selectors,
    selector_problems,
    selectors_state,
    states_differ,
    wanted_state,
)

from tests.lib.module_harness import ModuleFail, run_module

TRAIL = "bucketguard-trail"
TRAIL_ARN = f"arn:aws:cloudtrail:eu-west-3:123456789012:trail/{TRAIL}"

MANAGEMENT_WRITE = {
    "Name": "Management events",
    "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["false"]},
    ],
}
OBJECT_ACL = {
    "Name": "S3 object ACL changes",
    "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "eventName", "Equals": ["PutObjectAcl"]},
    ],
}
# What AWS answers for a trail that never had selectors set.
DEFAULT_BASIC = [
    {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [], "ExcludeManagementEventSources": []}
]


def shuffled_acl() -> dict[str, Any]:
    """OBJECT_ACL with its field selectors in another order and empty operator lists added."""
    return {
        "FieldSelectors": [
            {"Field": "eventName", "Equals": ["PutObjectAcl"], "NotEquals": []},
            {"Equals": ["AWS::S3::Object"], "Field": "resources.type"},
            {"Field": "eventCategory", "Equals": ["Data"], "StartsWith": []},
        ],
        "Name": "S3 object ACL changes",
    }


# --- Pure helpers ----------------------------------------------------------------------------


def test_advanced_normalisation_sorts_fields_values_and_selectors_and_drops_empty_lists() -> None:
    selectors = [
        shuffled_acl(),
        {
            "Name": "Management events",
            "FieldSelectors": [
                {"Field": "readOnly", "Equals": ["false"]},
                {"Field": "eventSource", "NotEquals": ["s3.amazonaws.com", "kms.amazonaws.com"], "Equals": []},
                {"Field": "eventCategory", "Equals": ["Management"]},
            ],
        },
    ]
    assert normalize_advanced_selectors(selectors) == [
        {
            "Name": "Management events",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "s3.amazonaws.com"]},
                {"Field": "readOnly", "Equals": ["false"]},
            ],
        },
        OBJECT_ACL | {"FieldSelectors": sorted(OBJECT_ACL["FieldSelectors"], key=lambda f: f["Field"])},
    ]


def test_advanced_normalisation_leaves_out_an_empty_name() -> None:
    assert normalize_advanced_selectors(
        [{"Name": "", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
    ) == [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]


def test_basic_normalisation_fills_defaults_and_drops_empty_lists() -> None:
    assert normalize_basic_selectors(DEFAULT_BASIC) == normalize_basic_selectors([{}])
    assert normalize_basic_selectors(DEFAULT_BASIC) == [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    assert normalize_basic_selectors(
        [{"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["b", "a"]}]}]
    ) == [
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["a", "b"]}],
        }
    ]


@pytest.mark.parametrize(
    ("current", "wanted", "differ"),
    [
        # same selectors, other order of selectors, fields, keys; empty lists: no change
        ({"AdvancedEventSelectors": [OBJECT_ACL, MANAGEMENT_WRITE]}, [MANAGEMENT_WRITE, shuffled_acl()], False),
        # a renamed selector is a change
        ({"AdvancedEventSelectors": [MANAGEMENT_WRITE]}, [MANAGEMENT_WRITE | {"Name": "Writes"}], True),
        # a dropped condition is a change (write_only -> all)
        (
            {"AdvancedEventSelectors": [MANAGEMENT_WRITE]},
            [{"Name": "Management events", "FieldSelectors": [MANAGEMENT_WRITE["FieldSelectors"][0]]}],
            True,
        ),
        # one selector more is a change
        ({"AdvancedEventSelectors": [MANAGEMENT_WRITE]}, [MANAGEMENT_WRITE, OBJECT_ACL], True),
        # AWS's default basic selector is replaced by advanced ones: a change
        ({"EventSelectors": DEFAULT_BASIC}, [MANAGEMENT_WRITE], True),
        # basic selectors left next to the same advanced ones (moto keeps both): a change
        ({"EventSelectors": DEFAULT_BASIC, "AdvancedEventSelectors": [MANAGEMENT_WRITE]}, [MANAGEMENT_WRITE], True),
    ],
)
def test_states_differ_for_advanced(current: dict[str, Any], wanted: list[dict[str, Any]], differ: bool) -> None:
    assert states_differ(selectors_state(current), wanted_state(advanced_event_selectors=wanted)) is differ


def test_states_differ_for_basic() -> None:
    current = selectors_state({"EventSelectors": DEFAULT_BASIC})
    assert not states_differ(current, wanted_state(event_selectors=[{"ReadWriteType": "All"}]))
    assert states_differ(current, wanted_state(event_selectors=[{"ReadWriteType": "WriteOnly"}]))
    assert states_differ(
        selectors_state({"AdvancedEventSelectors": [MANAGEMENT_WRITE]}), wanted_state(event_selectors=[{}])
    )


@pytest.mark.parametrize(
    ("selectors", "says"),
    [
        ([{"FieldSelectors": [{"Field": "readOnly", "Equals": ["False"]}]}], "readOnly takes the strings"),
        ([{"FieldSelectors": [{"Field": "eventName"}]}], "has no values"),
    ],
)
def test_selector_problems(selectors: list[dict[str, Any]], says: str) -> None:
    (problem,) = selector_problems(selectors)
    assert says in problem
    assert problem.startswith("advanced_event_selectors[0]")


def test_no_selector_problems_in_the_roles_selectors() -> None:
    assert selector_problems([MANAGEMENT_WRITE, OBJECT_ACL]) == []


# --- main() with a fake client ---------------------------------------------------------------


def client_error(code: str, message: str = "", operation: str = "Op") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeCloudTrail:
    """Just enough of boto3's CloudTrail client for event selectors; records every call (AWS semantics:
    a put replaces both kinds of selectors)."""

    def __init__(self, trails: dict[str, dict[str, Any]] | None = None) -> None:
        self.trails = trails if trails is not None else {TRAIL: {"EventSelectors": copy.deepcopy(DEFAULT_BASIC)}}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.get_errors: list[botocore.exceptions.ClientError] = []

    def _trail(self, name: str) -> dict[str, Any]:
        key = name.rsplit("/", 1)[-1]
        if key not in self.trails:
            raise client_error("TrailNotFoundException", f"Unknown trail: {name}", "GetEventSelectors")
        return self.trails[key]

    def get_event_selectors(self, TrailName: str) -> dict[str, Any]:
        self.calls.append(("get_event_selectors", {"TrailName": TrailName}))
        if self.get_errors:
            raise self.get_errors.pop(0)
        return {"TrailARN": TRAIL_ARN, **copy.deepcopy(self._trail(TrailName))}

    def put_event_selectors(self, TrailName: str, **params: Any) -> dict[str, Any]:
        self.calls.append(("put_event_selectors", {"TrailName": TrailName, **params}))
        trail = self._trail(TrailName)
        trail.clear()
        trail.update(copy.deepcopy(params))
        return {"TrailARN": TRAIL_ARN, **copy.deepcopy(params)}

    def write_calls(self) -> list[str]:
        return [name for name, _ in self.calls if name == "put_event_selectors"]


@pytest.fixture
def fake() -> FakeCloudTrail:
    return FakeCloudTrail()


@pytest.fixture
def run(fake: FakeCloudTrail):
    """run(args, check_mode=False, diff=False) -> result; a failure raises ModuleFail."""

    def _run(args: dict[str, Any], check_mode: bool = False, diff: bool = False) -> dict[str, Any]:
        return run_module(module, args, fake, check_mode=check_mode, diff=diff, region="eu-west-3")

    return _run


def test_set_advanced_selectors_replaces_the_default(run, fake: FakeCloudTrail) -> None:
    result = run({"trail_name": TRAIL, "advanced_event_selectors": [MANAGEMENT_WRITE, OBJECT_ACL]}, diff=True)
    assert result["changed"] is True
    assert fake.write_calls() == ["put_event_selectors"]
    put = fake.calls[-1][1]
    assert "EventSelectors" not in put
    assert normalize_advanced_selectors(put["AdvancedEventSelectors"]) == put["AdvancedEventSelectors"]
    assert result["trail_arn"] == TRAIL_ARN
    assert result["advanced_event_selectors"] == normalize_advanced_selectors([MANAGEMENT_WRITE, OBJECT_ACL])
    assert result["event_selectors"] == []
    assert result["diff"]["before"] == {
        "advanced_event_selectors": [],
        "event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    }
    assert result["diff"]["after"]["advanced_event_selectors"] == result["advanced_event_selectors"]


def test_check_mode_makes_no_put_call(run, fake: FakeCloudTrail) -> None:
    before = copy.deepcopy(fake.trails)
    result = run({"trail_name": TRAIL, "advanced_event_selectors": [MANAGEMENT_WRITE]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert fake.write_calls() == []
    assert fake.trails == before
    assert result["advanced_event_selectors"] == normalize_advanced_selectors([MANAGEMENT_WRITE])
    assert result["diff"]["before"]["advanced_event_selectors"] == []


def test_other_key_and_field_order_is_no_change(run, fake: FakeCloudTrail) -> None:
    fake.trails[TRAIL] = {"AdvancedEventSelectors": [OBJECT_ACL, MANAGEMENT_WRITE]}
    result = run({"trail_name": TRAIL, "advanced_event_selectors": [shuffled_acl(), MANAGEMENT_WRITE]}, diff=True)
    assert result["changed"] is False
    assert fake.write_calls() == []
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["advanced_event_selectors"] == normalize_advanced_selectors([MANAGEMENT_WRITE, OBJECT_ACL])


def test_check_mode_read_back_on_an_unchanged_trail(run, fake: FakeCloudTrail) -> None:
    fake.trails[TRAIL] = {"AdvancedEventSelectors": [MANAGEMENT_WRITE]}
    result = run({"trail_name": TRAIL_ARN, "advanced_event_selectors": [MANAGEMENT_WRITE]}, check_mode=True)
    assert result["changed"] is False
    assert fake.write_calls() == []
    assert "diff" not in result


def test_back_from_write_only_to_all_is_a_change(run, fake: FakeCloudTrail) -> None:
    fake.trails[TRAIL] = {"AdvancedEventSelectors": [MANAGEMENT_WRITE, OBJECT_ACL]}
    everything = {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
    result = run({"trail_name": TRAIL, "advanced_event_selectors": [everything]})
    assert result["changed"] is True
    assert fake.trails[TRAIL] == {"AdvancedEventSelectors": normalize_advanced_selectors([everything])}
    assert run({"trail_name": TRAIL, "advanced_event_selectors": [everything]})["changed"] is False


def test_basic_selectors_replace_advanced_ones(run, fake: FakeCloudTrail) -> None:
    fake.trails[TRAIL] = {"AdvancedEventSelectors": [MANAGEMENT_WRITE]}
    result = run({"trail_name": TRAIL, "event_selectors": [{"ReadWriteType": "WriteOnly"}]})
    assert result["changed"] is True
    assert fake.calls[-1][1] == {
        "TrailName": TRAIL,
        "EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
    }
    assert result["advanced_event_selectors"] == []
    assert run({"trail_name": TRAIL, "event_selectors": [{"ReadWriteType": "WriteOnly"}]})["changed"] is False


def test_default_basic_selector_asked_for_is_no_change(run, fake: FakeCloudTrail) -> None:
    result = run({"trail_name": TRAIL, "event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]})
    assert result["changed"] is False
    assert fake.write_calls() == []


def test_missing_trail_fails_clearly_also_in_check_mode(run, fake: FakeCloudTrail) -> None:
    with pytest.raises(ModuleFail) as failure:
        run({"trail_name": "nope", "advanced_event_selectors": [MANAGEMENT_WRITE]}, check_mode=True)
    assert "CloudTrail trail nope does not exist" in failure.value.result["msg"]
    assert fake.write_calls() == []


def test_other_errors_name_the_action(run, fake: FakeCloudTrail) -> None:
    fake.get_errors = [client_error("AccessDeniedException", "no", "GetEventSelectors")]
    with pytest.raises(ModuleFail) as failure:
        run({"trail_name": TRAIL, "advanced_event_selectors": [MANAGEMENT_WRITE]})
    assert f"Failed to get the event selectors of trail {TRAIL}" in failure.value.result["msg"]


def test_throttling_is_retried(run, fake: FakeCloudTrail) -> None:
    fake.get_errors = [client_error("ThrottlingException", "Rate exceeded", "GetEventSelectors")] * 2
    result = run({"trail_name": TRAIL, "advanced_event_selectors": [MANAGEMENT_WRITE]})
    assert result["changed"] is True
    assert [c for c, _ in fake.calls].count("get_event_selectors") == 3


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            {"trail_name": TRAIL, "advanced_event_selectors": [MANAGEMENT_WRITE], "event_selectors": [{}]},
            "mutually exclusive",
        ),
        ({"trail_name": TRAIL}, "one of the following is required"),
        ({"trail_name": TRAIL, "advanced_event_selectors": []}, "at least one selector"),
        (
            {
                "trail_name": TRAIL,
                "advanced_event_selectors": [{"FieldSelectors": [{"Field": "readOnly", "Equals": [False]}]}],
            },
            "readOnly takes the strings",
        ),
        (
            {"trail_name": TRAIL, "advanced_event_selectors": [{"FieldSelectors": [{"Field": "x", "Equal": ["y"]}]}]},
            "Equal",
        ),
    ],
)
def test_bad_arguments_fail_before_any_call(run, fake: FakeCloudTrail, args: dict[str, Any], says: str) -> None:
    with pytest.raises(ModuleFail) as failure:
        run(args)
    assert says in failure.value.result["msg"]
    assert fake.calls == []
