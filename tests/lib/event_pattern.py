"""A small evaluator for EventBridge event patterns, for tests only (the subset our patterns use).

"Event patterns" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html) and
"Content filtering" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):

- a pattern is a dict of fields; every field of the pattern must match (AND), an event's extra fields are ignored;
- a leaf is a list of values, matched when the event's value equals one of them (OR), exactly (case-sensitive);
- ``{"exists": false}`` matches a missing field, ``{"exists": true}`` a present one; ``{"prefix": "x"}`` a string
  starting with x;
- when the event's value is an array, the leaf matches if any element does.

Anything else (``anything-but``, ``numeric``, ``$or``, wildcards...) raises ValueError, so a test never passes by
accident on a pattern this module does not understand. LocalStack's TestEventPattern checks the same patterns
when it runs (tests/unit/alarm/test_role_patterns.py).
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def _leaf(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        (op, arg), *rest = rule.items()
        if rest or op not in ("exists", "prefix"):
            raise ValueError(f"unsupported content filter {rule!r}")
        if op == "exists":
            return (value is not _MISSING) is bool(arg)
        return isinstance(value, str) and value.startswith(arg)
    if value is _MISSING:
        return False
    values = value if isinstance(value, list) else [value]
    return any(type(v) is type(rule) and v == rule for v in values)


def matches(pattern: dict, event: Any) -> bool:
    """Does ``event`` match ``pattern``?"""
    for key, rule in pattern.items():
        if key.startswith("$"):
            raise ValueError(f"unsupported pattern key {key!r}")
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(rule, dict):
            if not matches(rule, value if isinstance(value, dict) else {}):
                return False
        elif isinstance(rule, list):
            if not any(_leaf(r, value) for r in rule):
                return False
        else:
            raise ValueError(f"a pattern leaf must be a list, got {rule!r}")
    return True
