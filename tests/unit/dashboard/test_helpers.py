"""Pure helpers of plugins/module_utils/dashboard.py: parse, normalise, compare, diff, messages."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import dashboard as d
from hypothesis import given
from hypothesis import strategies as st

BODY = {
    "start": "-PT24H",
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {"metrics": [["Bucketguard", "BucketVisibilityChanges"]], "stat": "Sum", "period": 60},
        },
        {"type": "text", "x": 12, "y": 0, "width": 12, "height": 6, "properties": {"markdown": "# Hi"}},
    ],
}


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every dict's keys in a random order (lists untouched)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=15,
)
# A body is a JSON object at the top (normalize_body parses strings as JSON text).
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=4)


class TestParseBody:
    def test_dict_is_returned(self) -> None:
        assert d.parse_body(BODY) == BODY

    def test_json_string_is_parsed(self) -> None:
        assert d.parse_body(json.dumps(BODY)) == BODY

    def test_empty_widgets_list_is_allowed(self) -> None:
        assert d.parse_body('{"widgets": []}') == {"widgets": []}

    @pytest.mark.parametrize(
        ("body", "says"),
        [
            ("{not json", "not valid JSON"),
            ("[1, 2]", "must be a JSON object"),
            ('"text"', "must be a JSON object"),
            ({"start": "-PT3H"}, "'widgets' list"),
            ({"widgets": {"type": "text"}}, "'widgets' list"),
        ],
    )
    def test_bad_bodies_say_what_is_wrong(self, body: Any, says: str) -> None:
        with pytest.raises(d.DashboardBodyError, match=says):
            d.parse_body(body)


class TestCompare:
    def test_key_order_alone_is_no_difference(self) -> None:
        rng = random.Random(7)
        assert not d.bodies_differ(json.dumps(shuffled(BODY, rng)), BODY)

    def test_whitespace_alone_is_no_difference(self) -> None:
        assert not d.bodies_differ(json.dumps(BODY, indent=4), json.dumps(BODY, separators=(",", ":")))

    def test_int_and_float_of_same_value_are_equal(self) -> None:
        assert not d.bodies_differ('{"widgets": [], "x": 1.0}', {"widgets": [], "x": 1})

    def test_a_changed_value_is_a_difference(self) -> None:
        changed = json.loads(json.dumps(BODY))
        changed["widgets"][0]["properties"]["period"] = 300
        assert d.bodies_differ(json.dumps(BODY), changed)

    def test_widget_order_is_a_difference(self) -> None:
        swapped = dict(BODY, widgets=list(reversed(BODY["widgets"])))
        assert d.bodies_differ(BODY, swapped)

    def test_missing_dashboard_always_differs(self) -> None:
        assert d.bodies_differ(None, {"widgets": []})

    @given(json_objects, st.integers(min_value=0, max_value=2**32))
    def test_normalise_ignores_key_order(self, value: Any, seed: int) -> None:
        assert d.normalize_body(shuffled(value, random.Random(seed))) == d.normalize_body(value)

    @given(json_objects)
    def test_normalise_is_idempotent_and_json_stable(self, value: Any) -> None:
        once = d.normalize_body(value)
        assert d.normalize_body(once) == once
        assert d.normalize_body(json.dumps(value)) == once

    def test_body_to_json_is_stable_across_key_order(self) -> None:
        rng = random.Random(3)
        assert d.body_to_json(shuffled(BODY, rng)) == d.body_to_json(BODY)
        assert " " not in d.body_to_json({"widgets": [], "start": "-PT3H"})


class TestDiff:
    def test_before_and_after_are_normalised_dicts(self) -> None:
        diff = d.body_diff(json.dumps({"widgets": [], "start": "-PT3H"}), BODY)
        assert diff["before"] == {"start": "-PT3H", "widgets": []}
        assert diff["after"] == BODY
        assert list(diff["after"]) == sorted(diff["after"])

    def test_creation_diff_starts_empty(self) -> None:
        assert d.body_diff(None, BODY)["before"] == {}

    def test_deletion_diff_ends_empty(self) -> None:
        assert d.body_diff(BODY, None) == {"before": BODY, "after": {}}


class TestValidationMessages:
    def test_from_put_response_warnings(self) -> None:
        response = {"DashboardValidationMessages": [{"DataPath": "/widgets/0", "Message": "Careful"}]}
        assert d.validation_messages_from_response(response) == [{"data_path": "/widgets/0", "message": "Careful"}]

    def test_from_error_response(self) -> None:
        response = {
            "Error": {"Code": "InvalidParameterInput", "Message": "The dashboard body is invalid, there are 1 errors"},
            "dashboardValidationMessages": [{"DataPath": "/widgets/0/type", "Message": "Invalid widget type"}],
        }
        assert d.validation_messages_from_response(response) == [
            {"data_path": "/widgets/0/type", "message": "Invalid widget type"}
        ]

    def test_nothing_gives_empty_list(self) -> None:
        assert d.validation_messages_from_response({}) == []
        assert d.validation_messages_from_response(None) == []

    def test_format_is_one_readable_line(self) -> None:
        text = d.format_validation_messages(
            [{"data_path": "/widgets/0/type", "message": "Invalid widget type"}, {"data_path": "", "message": "Bad"}]
        )
        assert text == "at /widgets/0/type: Invalid widget type; Bad"


class TestNames:
    @pytest.mark.parametrize("name", ["bucketguard-s3-visibility", "a", "A_b-9", "x" * 255])
    def test_valid(self, name: str) -> None:
        assert d.valid_dashboard_name(name)

    @pytest.mark.parametrize("name", ["", "has space", "slash/name", "dot.name", "x" * 256])
    def test_invalid(self, name: str) -> None:
        assert not d.valid_dashboard_name(name)


def test_entry_to_result_snake_cases_and_parses_body() -> None:
    entry = {"DashboardName": "n", "DashboardArn": "arn", "LastModified": "2026-11-27T08:00:00+00:00", "Size": 10}
    result = d.dashboard_entry_to_result(entry, json.dumps({"widgets": []}))
    assert result == {
        "dashboard_name": "n",
        "dashboard_arn": "arn",
        "last_modified": "2026-11-27T08:00:00+00:00",
        "size": 10,
        "body": {"widgets": []},
    }
