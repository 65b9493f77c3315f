"""AWX survey specs (files/awx/surveys/*.json) turned into a job's extra vars, as AWX does at launch.

The AWX tests build their extra vars with `extravars(load("deploy"), {...answers...})`, so they pass
exactly what the shipped survey lets a user pass: a question the survey does not have, an answer of the
wrong type, outside its choices or length, or a missing required answer raises SurveyError (AWX refuses
the launch with a 400). Modelled on AWX's survey validation (main/models/mixins.py), not imported from it:
- text, textarea, password: a string, length within min..max; passed as the string (a textarea answer
  with line breaks stays one string);
- integer: an int within min..max (AWX also accepts a numeric string); float likewise;
- multiplechoice: one of the choices (a string); multiselect: a list of choices, passed as a list;
- unanswered: the question's default when it is not empty (multiselect defaults are newline-separated),
  else the variable is not passed; a required question without answer nor default is an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SURVEYS = Path(__file__).resolve().parents[2] / "files" / "awx" / "surveys"
TYPES = ("text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect")


class SurveyError(ValueError):
    """What AWX would answer with a 400 at launch."""


def load(name: str) -> dict[str, Any]:
    return json.loads((SURVEYS / f"{name}.json").read_text())


def _choices(question: dict[str, Any]) -> list[str]:
    choices = question.get("choices", [])
    return choices.splitlines() if isinstance(choices, str) else list(choices)


def _default(question: dict[str, Any]) -> Any:
    default = question.get("default")
    if default in (None, "", []):
        return None
    if question["type"] == "multiselect" and isinstance(default, str):
        return [d for d in default.splitlines() if d]
    if question["type"] == "integer":
        return int(default)
    return default


def _check(question: dict[str, Any], answer: Any) -> Any:
    var, kind = question["variable"], question["type"]
    low, high = question.get("min"), question.get("max")
    if kind in ("text", "textarea", "password"):
        if not isinstance(answer, str):
            raise SurveyError(f"{var}: a {kind} answer must be a string, got {answer!r}")
        if (low is not None and len(answer) < int(low)) or (high is not None and len(answer) > int(high)):
            raise SurveyError(f"{var}: length must be between {low} and {high}, got {len(answer)}")
        return answer
    if kind in ("integer", "float"):
        try:
            number = int(answer) if kind == "integer" else float(answer)
        except (TypeError, ValueError) as e:
            raise SurveyError(f"{var}: must be an {kind}, got {answer!r}") from e
        if isinstance(answer, bool) or (kind == "integer" and isinstance(answer, float)):
            raise SurveyError(f"{var}: must be an {kind}, got {answer!r}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise SurveyError(f"{var}: must be between {low} and {high}, got {number}")
        return number
    if kind == "multiplechoice":
        if answer not in _choices(question):
            raise SurveyError(f"{var}: {answer!r} is not one of {_choices(question)}")
        return answer
    if kind == "multiselect":
        if not isinstance(answer, list) or any(a not in _choices(question) for a in answer):
            raise SurveyError(f"{var}: every answer must be one of {_choices(question)}, got {answer!r}")
        return list(answer)
    raise SurveyError(f"{var}: unknown question type {kind!r}")


def validate_spec(spec: dict[str, Any]) -> None:
    """The shape AWX's survey_spec endpoint accepts (name, description, spec of questions)."""
    if not isinstance(spec.get("name"), str) or not isinstance(spec.get("description"), str):
        raise SurveyError("a survey needs a name and a description (strings)")
    seen = set()
    for q in spec.get("spec", []):
        for key in ("question_name", "variable", "type", "required"):
            if key not in q:
                raise SurveyError(f"question {q.get('variable')!r} has no {key}")
        if q["type"] not in TYPES:
            raise SurveyError(f"{q['variable']}: type {q['type']!r} is not one of {TYPES}")
        if q["variable"] in seen:
            raise SurveyError(f"{q['variable']} is asked twice")
        seen.add(q["variable"])
        if q["type"] in ("multiplechoice", "multiselect") and not _choices(q):
            raise SurveyError(f"{q['variable']}: a {q['type']} question needs choices")
        if _default(q) is not None:
            _check(q, _default(q))


def extravars(spec: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The extra vars AWX passes for these survey answers (see the module's docstring)."""
    validate_spec(spec)
    questions = {q["variable"]: q for q in spec["spec"]}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise SurveyError(f"not questions of the survey {spec['name']!r}: {unknown}")
    out: dict[str, Any] = {}
    for var, question in questions.items():
        if var in answers:
            out[var] = _check(question, answers[var])
        elif _default(question) is not None:
            out[var] = _default(question)
        elif question["required"]:
            raise SurveyError(f"{var}: value missing (a required question)")
    return out
