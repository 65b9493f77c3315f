"""An evaluator for CloudWatch Logs JSON filter patterns (``{ ... }``), for tests only.

LocalStack ignores metric filter patterns (every log event counts), so the project tests its patterns
here instead. This module implements the JSON-pattern part of the syntax documented in "Filter pattern
syntax for metric filters, subscription filters, filter log events, and Live Tail"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):

- property selectors ``$.a.b``, ``$.a[0]``, ``$.a[0][1]``, ``$.['key.with.dots']``, one wildcard
  ``$.*`` / ``$.a[*]`` per selector;
- ``=``, ``!=`` with quoted (``"..."``) or bare strings, ``*`` at the start and/or end of a value as a
  wildcard (``*`` alone matches any value node), ``%regex%`` values;
- ``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=`` with numbers (sign, decimals, scientific notation);
- ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``NOT EXISTS``;
- ``&&``, ``||`` and parentheses, with the documented precedence ``()`` > ``&&`` > ``||``.

Semantics follow the documentation; where it is silent, the choice is stated on the function:
- a selector that points to an array or an object never matches a comparison, ``=`` or ``!=``
  ("both {$.users = 1} and {$.users != 1} will fail to match ... where users is an array");
- a selector that points to nothing never matches a comparison either (``!=`` included);
  only ``NOT EXISTS`` matches a missing property;
- an ``*`` inside a value (not at either end) is a literal character ("Ev*ent will only match the
  actual string Ev*ent");
- ``IS NOT`` and a bare ``EXISTS`` are rejected, as the documentation says they are not supported.

Not covered: unstructured (term) patterns and space-delimited ``[...]`` patterns. They raise
:class:`FilterPatternError`, like any syntax this module does not understand, so a test never passes
by accident on a pattern the evaluator cannot read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["FilterPatternError", "Pattern", "matches", "parse"]

_MISSING = object()
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_IDENT_RE = re.compile(r"[A-Za-z0-9_-]+")
_KEYWORDS = {"IS", "NOT", "EXISTS", "NULL", "TRUE", "FALSE"}
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")


class FilterPatternError(ValueError):
    """The pattern is not a JSON filter pattern this evaluator can read."""


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Selector:
    """``$.a.b[0]`` as a tuple of steps: str (property), int (index) or None (wildcard)."""

    text: str
    steps: tuple[str | int | None, ...]

    def resolve(self, document: Any) -> list[Any]:
        """Every value the selector points to (empty when it points to nothing)."""
        current = [document]
        for step in self.steps:
            following: list[Any] = []
            for node in current:
                if step is None:
                    if isinstance(node, dict):
                        following.extend(node.values())
                    elif isinstance(node, list):
                        following.extend(node)
                elif isinstance(step, int):
                    if isinstance(node, list) and 0 <= step < len(node):
                        following.append(node[step])
                elif isinstance(node, dict) and step in node:
                    following.append(node[step])
            current = following
        return current


@dataclass(frozen=True)
class Value:
    """The right-hand side of a comparison."""

    raw: str
    kind: str  # "string" (quoted), "bare", "number", "regex"

    @property
    def number(self) -> float | None:
        if self.kind in ("bare", "number") and _NUMBER_RE.match(self.raw):
            return float(self.raw)
        return None


@dataclass(frozen=True)
class Comparison:
    selector: Selector
    operator: str
    value: Value

    def evaluate(self, document: Any) -> bool:
        return any(_compare(node, self.operator, self.value) for node in self.selector.resolve(document))


@dataclass(frozen=True)
class Check:
    """``IS NULL`` / ``IS TRUE`` / ``IS FALSE`` / ``NOT EXISTS``."""

    selector: Selector
    what: str  # "NULL", "TRUE", "FALSE", "NOT EXISTS"

    def evaluate(self, document: Any) -> bool:
        nodes = self.selector.resolve(document)
        if self.what == "NOT EXISTS":
            return not nodes
        wanted = {"NULL": None, "TRUE": True, "FALSE": False}[self.what]
        return any(node is wanted for node in nodes)


@dataclass(frozen=True)
class BoolOp:
    operator: str  # "&&" or "||"
    operands: tuple[Any, ...]

    def evaluate(self, document: Any) -> bool:
        if self.operator == "&&":
            return all(operand.evaluate(document) for operand in self.operands)
        return any(operand.evaluate(document) for operand in self.operands)


# --------------------------------------------------------------------------- comparison rules


def _is_value_node(node: Any) -> bool:
    return node is None or isinstance(node, (str, int, float, bool))


def _text(node: Any) -> str:
    """How a value node reads as text (for wildcards and bare strings)."""
    if isinstance(node, bool):
        return "true" if node else "false"
    if node is None:
        return "null"
    if isinstance(node, float) and node.is_integer():
        return str(int(node)) if abs(node) < 1e16 else repr(node)
    return str(node)


def _wildcard_match(pattern: str, text: str) -> bool:
    """``*`` at the start and/or the end is a wildcard; ``*`` alone matches anything."""
    if pattern == "*":
        return True
    starts = pattern.startswith("*")
    ends = pattern.endswith("*")
    core = pattern[1 if starts else 0 : len(pattern) - 1 if ends else len(pattern)]
    if starts and ends:
        return core in text
    if starts:
        return text.endswith(core)
    if ends:
        return text.startswith(core)
    return text == core


def _equals(node: Any, value: Value) -> bool:
    if value.kind == "regex":
        return isinstance(node, str) and re.search(value.raw, node) is not None
    if value.kind in ("bare", "number") and value.raw == "*":
        return True
    number = value.number
    is_number_node = isinstance(node, (int, float)) and not isinstance(node, bool)
    if number is not None and is_number_node:
        return float(node) == number
    if value.kind == "string" and is_number_node:
        # A quoted value is a string: it does not equal a number.
        return False
    return _wildcard_match(value.raw, _text(node))


def _compare(node: Any, operator: str, value: Value) -> bool:
    """One comparison against one value node. Arrays, objects never match (documented)."""
    if not _is_value_node(node):
        return False
    if operator == "=":
        return _equals(node, value)
    if operator == "!=":
        return not _equals(node, value)
    number = value.number
    if number is None:  # checked by the parser; kept for safety
        raise FilterPatternError(f"operator {operator} needs a number, got {value.raw!r}")
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        return False
    return {
        "<": node < number,
        ">": node > number,
        "<=": node <= number,
        ">=": node >= number,
    }[operator]


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.wildcards = 0

    # -- helpers
    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self, token: str) -> bool:
        self._skip()
        return self.text.startswith(token, self.pos)

    def _take(self, token: str) -> bool:
        if self._peek(token):
            self.pos += len(token)
            return True
        return False

    def _error(self, message: str) -> FilterPatternError:
        return FilterPatternError(f"{message} at position {self.pos} of {self.text!r}")

    def _word(self) -> str:
        self._skip()
        match = re.compile(r"[A-Za-z]+").match(self.text, self.pos)
        return match.group(0) if match else ""

    # -- grammar
    def parse(self) -> Any:
        node = self._or()
        self._skip()
        if self.pos != len(self.text):
            raise self._error("unexpected text")
        if self.wildcards > 3:
            raise FilterPatternError("at most three wildcard selectors per filter pattern")
        return node

    def _or(self) -> Any:
        operands = [self._and()]
        while self._take("||"):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else BoolOp("||", tuple(operands))

    def _and(self) -> Any:
        operands = [self._primary()]
        while self._take("&&"):
            operands.append(self._primary())
        return operands[0] if len(operands) == 1 else BoolOp("&&", tuple(operands))

    def _primary(self) -> Any:
        if self._take("("):
            node = self._or()
            if not self._take(")"):
                raise self._error("missing )")
            return node
        return self._condition()

    def _condition(self) -> Any:
        selector = self._selector()
        word = self._word()
        if word == "IS":
            self.pos += 2
            what = self._word()
            if what not in ("NULL", "TRUE", "FALSE"):
                raise self._error("IS must be followed by NULL, TRUE or FALSE (IS NOT is not supported)")
            self.pos += len(what)
            return Check(selector, what)
        if word == "NOT":
            self.pos += 3
            if self._word() != "EXISTS":
                raise self._error("NOT must be followed by EXISTS")
            self.pos += len("EXISTS")
            return Check(selector, "NOT EXISTS")
        if word == "EXISTS":
            raise self._error("EXISTS alone is not supported (only NOT EXISTS)")
        self._skip()
        for operator in _OPERATORS:
            if self.text.startswith(operator, self.pos):
                self.pos += len(operator)
                break
        else:
            raise self._error("expected an operator")
        value = self._value()
        if operator in ("<", ">", "<=", ">=") and (value.kind not in ("bare", "number") or value.number is None):
            raise self._error(f"operator {operator} needs a number")
        return Comparison(selector, operator, value)

    def _selector(self) -> Selector:
        self._skip()
        start = self.pos
        if not self.text.startswith("$", self.pos):
            raise self._error("expected a property selector ($.)")
        self.pos += 1
        steps: list[str | int | None] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == ".":
                self.pos += 1
                if self.text.startswith("[", self.pos):
                    continue  # $.['key'] form
                if self.text.startswith("*", self.pos):
                    self.pos += 1
                    steps.append(None)
                    continue
                match = _IDENT_RE.match(self.text, self.pos)
                if not match:
                    raise self._error("expected a property name")
                steps.append(match.group(0))
                self.pos = match.end()
            elif char == "[":
                end = self.text.find("]", self.pos)
                if end < 0:
                    raise self._error("missing ]")
                inner = self.text[self.pos + 1 : end].strip()
                if inner == "*":
                    steps.append(None)
                elif inner.isdigit():
                    steps.append(int(inner))
                elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                    steps.append(inner[1:-1])
                else:
                    raise self._error(f"bad index [{inner}]")
                self.pos = end + 1
            else:
                break
        if not steps:
            raise self._error("empty property selector")
        wildcards = steps.count(None)
        if wildcards > 1:
            raise self._error("at most one wildcard per property selector")
        self.wildcards += wildcards
        return Selector(self.text[start : self.pos], tuple(steps))

    def _value(self) -> Value:
        self._skip()
        if self.pos >= len(self.text):
            raise self._error("missing value")
        char = self.text[self.pos]
        if char == '"':
            out = []
            self.pos += 1
            while self.pos < len(self.text):
                char = self.text[self.pos]
                if char == "\\" and self.pos + 1 < len(self.text):
                    out.append(self.text[self.pos + 1])
                    self.pos += 2
                    continue
                if char == '"':
                    self.pos += 1
                    return Value("".join(out), "string")
                out.append(char)
                self.pos += 1
            raise self._error("unterminated string")
        if char == "%":
            end = self.text.find("%", self.pos + 1)
            if end < 0:
                raise self._error("unterminated regex")
            raw = self.text[self.pos + 1 : end]
            self.pos = end + 1
            try:
                re.compile(raw)
            except re.error as exc:
                raise self._error(f"bad regex: {exc}") from exc
            return Value(raw, "regex")
        start = self.pos
        while self.pos < len(self.text):
            if self.text[self.pos].isspace() or self.text[self.pos] in "()":
                break
            if self.text.startswith(("&&", "||"), self.pos):
                break
            self.pos += 1
        raw = self.text[start : self.pos]
        if not raw:
            raise self._error("missing value")
        if raw.upper() in _KEYWORDS:
            raise self._error(f"unexpected keyword {raw}")
        return Value(raw, "number" if _NUMBER_RE.match(raw) else "bare")


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class Pattern:
    """A parsed JSON filter pattern."""

    text: str
    tree: Any

    def matches(self, event: Any) -> bool:
        """Whether the log event (a dict/list, or its JSON text) matches.

        A log event that is not JSON never matches a JSON pattern.
        """
        if isinstance(event, (str, bytes)):
            try:
                event = json.loads(event)
            except ValueError:
                return False
        return bool(self.tree.evaluate(event))


def parse(pattern: str) -> Pattern:
    """Parse a JSON filter pattern; raise :class:`FilterPatternError` when it is not one we can read."""
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise FilterPatternError(f"not a JSON filter pattern (must be enclosed in {{ }}): {pattern!r}")
    inner = text[1:-1]
    if not inner.strip():
        raise FilterPatternError("empty JSON filter pattern")
    return Pattern(pattern, _Parser(inner).parse())


def matches(pattern: str, event: Any) -> bool:
    """Shortcut: ``parse(pattern).matches(event)``."""
    return parse(pattern).matches(event)
