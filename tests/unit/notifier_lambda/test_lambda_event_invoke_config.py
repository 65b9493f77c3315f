"""The pure helpers of bucketguard.visibility.lambda_event_invoke_config."""

from __future__ import annotations

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules.lambda_event_invoke_config import (
    config_differs,
    normalise_config,
    wanted_config,
)

TOPIC = "arn:aws:sns:eu-west-3:240000000001:bg-alerts"
WANTED = {"MaximumRetryAttempts": 2, "DestinationConfig": {"OnFailure": {"Destination": TOPIC}}}


def api_answer(**overrides):
    answer = {
        "FunctionArn": "arn:aws:lambda:eu-west-3:240000000001:function:bg-notifier:$LATEST",
        "LastModified": "2026-11-27T08:00:00Z",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 21600,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": TOPIC}},
    }
    answer.update(overrides)
    return answer


def test_wanted_config_leaves_unset_options_out():
    params = {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": None, "on_failure_destination": TOPIC}
    assert wanted_config(params) == WANTED
    assert wanted_config({"maximum_retry_attempts": 0}) == {"MaximumRetryAttempts": 0}
    assert wanted_config({}) == {}


def test_normalise_drops_metadata_and_empty_destinations():
    assert normalise_config(api_answer()) == {
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 21600,
        "DestinationConfig": {"OnFailure": {"Destination": TOPIC}},
    }
    assert normalise_config(None) == {}
    assert normalise_config(api_answer(DestinationConfig={"OnSuccess": {}, "OnFailure": {}})) == {
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 21600,
    }


@pytest.mark.parametrize(
    ("current", "wanted", "differs"),
    [
        (None, WANTED, True),  # no configuration yet
        (api_answer(), WANTED, False),  # AWS reports the default event age: not a difference
        (api_answer(), dict(WANTED, MaximumEventAgeInSeconds=21600), False),
        (api_answer(), dict(WANTED, MaximumEventAgeInSeconds=3600), True),
        (api_answer(MaximumRetryAttempts=0), WANTED, True),
        (api_answer(DestinationConfig={"OnFailure": {"Destination": TOPIC + "-other"}}), WANTED, True),
        (api_answer(DestinationConfig={}), WANTED, True),  # destination missing
        (
            api_answer(DestinationConfig={"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": TOPIC}}),
            WANTED,
            True,
        ),
        (api_answer(MaximumEventAgeInSeconds=3600), WANTED, True),  # an unset option must go back to the default
    ],
)
def test_config_differs(current, wanted, differs):
    assert config_differs(current, wanted) is differs
