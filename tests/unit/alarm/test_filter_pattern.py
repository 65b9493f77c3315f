"""tests/lib/filter_pattern.py against the examples of AWS's filter-pattern documentation.

Source of the examples (patterns, sample log events and whether each matches): "Filter pattern syntax
for metric filters, subscription filters, filter log events, and Live Tail", section "Using filter
patterns to match terms in JSON log events", and its older edition "Filter and pattern syntax"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html). The two
editions' sample events differ by one key ("cluster.name" / "ThisFlag"); DOC_EVENT holds both.
The numeric examples come without an event: NUMBERS is ours, chosen so that each example matches.
"""

from __future__ import annotations

import json

import pytest

from tests.lib.filter_pattern import FilterPatternError, matches, parse

DOC_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "ThisFlag": True,
    "cluster.name": "c",
}

DOC_COMPOUND_EVENT = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}

NUMBERS = {"bandwidth": 80, "latency": 30, "refreshRate": 60, "responseTime": 4, "errorCode": 400, "number": [1000]}

DOC_MATCHING = [
    '{ $.eventType = "UpdateTrail" }',
    "{ $.sourceIPAddress != 123.123.* }",
    '{ $.arrayKey[0] = "value" }',
    "{ $.objectList[1].id = 2 }",
    "{ $.SomeObject IS NULL }",
    "{ $.SomeOtherObject NOT EXISTS }",
    "{ $.ThisFlag IS TRUE }",
    "{ $.eventType = %Trail% }",
    "{ $.arrayKey[*] = %val.{2}% }",
    r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }",
    "{ $.['cluster.name'] = \"c\" }",
]

DOC_COMPOUND = [
    ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
    ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
    ('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }', True),
    (
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
        False,
    ),
    # The newer edition quotes the values; same results.
    (
        '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
        True,
    ),
    (
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") '
        '&& $.actions[2] = "nonmatch" }',
        False,
    ),
]

DOC_NUMERIC = [
    "{ $.bandwidth > 75 }",
    "{ $.latency < 50 }",
    "{ $.refreshRate >= 60 }",
    "{ $.responseTime <= 5 }",
    "{ $.errorCode = 400}",
    "{ $.errorCode != 500 }",
    "{ $.number[0] = 1e+3 }",
    "{ $.number[0] != 1e-3 }",
    "{ $.latency > +10 }",
]


@pytest.mark.parametrize("pattern", DOC_MATCHING)
def test_documented_patterns_match_the_documented_event(pattern):
    assert matches(pattern, DOC_EVENT)
    # Log events arrive as text: one line of JSON.
    assert matches(pattern, json.dumps(DOC_EVENT))


@pytest.mark.parametrize(("pattern", "expected"), DOC_COMPOUND)
def test_documented_compound_expressions(pattern, expected):
    assert matches(pattern, DOC_COMPOUND_EVENT) is expected


@pytest.mark.parametrize("pattern", DOC_NUMERIC)
def test_documented_numeric_comparisons(pattern):
    assert matches(pattern, NUMBERS)


@pytest.mark.parametrize("operator", ["=", "!="])
def test_selector_on_an_array_never_matches(operator):
    # Documented: both {$.users = 1} and {$.users != 1} fail on {"users": [1, 2, 3]}.
    assert not matches(f"{{$.users {operator} 1}}", {"users": [1, 2, 3]})


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # Documented wildcard rules: *Event, Event*, and Ev*ent matching only itself.
        ("{ $.eventName = *Event }", {"eventName": "PutEvent"}, True),
        ("{ $.eventName = *Event }", {"eventName": "EventId"}, False),
        ("{ $.eventName = Event* }", {"eventName": "EventName"}, True),
        ("{ $.eventName = Ev*ent }", {"eventName": "Ev*ent"}, True),
        ("{ $.eventName = Ev*ent }", {"eventName": "EvXent"}, False),
        ("{ $.eventName = * }", {"eventName": "anything"}, True),
        ("{ $.eventName = * }", {}, False),
        # Bare and quoted values read the same.
        ('{ $.eventSource = "s3.amazonaws.com" }', {"eventSource": "s3.amazonaws.com"}, True),
        ("{ $.eventSource = s3.amazonaws.com }", {"eventSource": "s3.amazonaws.com"}, True),
        ("{($.eventSource=s3.amazonaws.com)}", {"eventSource": "s3-outposts.amazonaws.com"}, False),
        # Matching is case sensitive.
        ("{ $.eventName = PutBucketPolicy }", {"eventName": "putbucketpolicy"}, False),
        # A missing property matches neither = nor != (only NOT EXISTS).
        ("{ $.errorCode != AccessDenied }", {}, False),
        ("{ $.errorCode NOT EXISTS }", {}, True),
        ("{ $.errorCode NOT EXISTS }", {"errorCode": "AccessDenied"}, False),
        ("{ $.errorCode NOT EXISTS }", {"errorCode": None}, False),
        ("{ $.errorCode IS NULL }", {"errorCode": None}, True),
        ("{ $.errorCode IS NULL }", {}, False),
        ("{ $.flag IS FALSE }", {"flag": False}, True),
        ("{ $.flag IS TRUE }", {"flag": "true"}, False),
        # Numbers compare as numbers; a quoted number is a string.
        ("{ $.n = 123.0 }", {"n": 123}, True),
        ('{ $.n = "123" }', {"n": 123}, False),
        ("{ $.n > 5 }", {"n": "9"}, False),
        ("{ $.n = 1* }", {"n": 123}, True),
        # && binds tighter than ||.
        ("{ $.a = 1 || $.b = 1 && $.c = 1 }", {"a": 1, "b": 0, "c": 0}, True),
        ("{ ($.a = 1 || $.b = 1) && $.c = 1 }", {"a": 1, "b": 0, "c": 0}, False),
        # Escaped quote inside a quoted value.
        (r'{ $.msg = "say \"hi\"" }', {"msg": 'say "hi"'}, True),
        # Nested selectors into CloudTrail-like records.
        ('{ $.requestParameters.bucketName = "bg-*" }', {"requestParameters": {"bucketName": "bg-site"}}, True),
        ("{ $.requestParameters.bucketName = bg }", {"requestParameters": "bg"}, False),
    ],
)
def test_semantics(pattern, event, expected):
    assert matches(pattern, event) is expected


def test_a_log_event_that_is_not_json_never_matches():
    assert not matches("{ $.eventName NOT EXISTS }", "[ERROR 401] UNAUTHORIZED REQUEST")


@pytest.mark.parametrize(
    "pattern",
    [
        "ERROR",  # term pattern: not JSON
        "[ip, user, status_code = 4*]",  # space-delimited: not covered
        "{ }",
        "{ $.a = }",
        "{ $.a }",
        "{ a = 1 }",
        "{ ($.a = 1 }",
        "{ $.a = 1 ) }",
        "{ $.a IS NOT NULL }",  # documented as unsupported
        "{ $.a EXISTS }",  # documented as unsupported
        "{ $.a > abc }",  # numeric operator needs a number
        '{ $.a >= "1" }',
        "{ $.a[*].b[*] = 1 }",  # one wildcard per selector
        "{ $.a = 1 && }",
        '{ $.a = "open }',
        "{ $.a = %unclosed }",
        "{ $.a[x] = 1 }",
    ],
)
def test_unreadable_patterns_raise(pattern):
    with pytest.raises(FilterPatternError):
        parse(pattern)


def test_at_most_three_wildcard_selectors_per_pattern():
    parse("{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 }")
    with pytest.raises(FilterPatternError):
        parse("{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 || $.d[*] = 1 }")
