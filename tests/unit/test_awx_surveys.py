"""The shipped AWX surveys and import file: valid survey specs, read by their playbooks, and the import
file's job templates carry exactly those surveys. Also the survey -> extra vars helper the AWX tests use.

How far this goes without an AWX server: the structure of `awx export` data as awxkit's import reads it
(resources it knows, natural keys, references to objects in the file, related survey_spec/schedules/roles),
not what an AWX server would accept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dateutil.rrule import rrulestr

from tests.awx import survey

ROOT = Path(__file__).resolve().parents[2]
IMPORT = json.loads((ROOT / "files/awx/awx-import.json").read_text())
SURVEY_NAMES = sorted(p.stem for p in survey.SURVEYS.glob("*.json"))
# awxkit.api.pages.api.EXPORTABLE_RESOURCES (awxkit 24.6)
AWXKIT_RESOURCES = {
    "users", "organizations", "teams", "credential_types", "credentials", "notification_templates", "projects",
    "inventory", "inventory_sources", "job_templates", "workflow_job_templates", "execution_environments",
    "applications", "schedules",
}  # fmt: skip
TEMPLATE_SURVEY = {
    "bucketguard – Deploy": ("deploy", "playbooks/deploy.yml"),
    "bucketguard – Verify": ("verify", "playbooks/verify.yml"),
    "bucketguard – Teardown": ("teardown", "playbooks/teardown.yml"),
    "bucketguard – Audit": ("audit", "playbooks/audit.yml"),
    "bucketguard – Fire drill": ("fire_drill", "playbooks/verify.yml"),
}


def test_all_five_surveys_ship() -> None:
    assert sorted(name for name, _ in TEMPLATE_SURVEY.values()) == SURVEY_NAMES


@pytest.mark.parametrize("name", SURVEY_NAMES)
def test_the_survey_is_a_valid_spec(name: str) -> None:
    survey.validate_spec(survey.load(name))


@pytest.mark.parametrize(("template", "pair"), sorted(TEMPLATE_SURVEY.items()))
def test_every_survey_variable_is_read_by_the_playbook_or_its_roles(template: str, pair: tuple[str, str]) -> None:
    name, playbook = pair
    sources = (ROOT / playbook).read_text() + "".join(
        p.read_text() for p in [*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("roles/*/defaults/main.yml")]
    )
    for question in survey.load(name)["spec"]:
        assert question["variable"] in sources, f"{template}: {question['variable']} is read by nothing"


def test_the_import_file_has_only_resources_awxkit_imports() -> None:
    assert set(IMPORT) <= AWXKIT_RESOURCES
    for resource, assets in IMPORT.items():
        for asset in assets:
            assert "type" in asset["natural_key"] and asset["natural_key"].get("name") == asset["name"], resource


def natural_keys() -> list[dict[str, Any]]:
    return [a["natural_key"] for assets in IMPORT.values() for a in assets]


def references(node: Any) -> list[dict[str, Any]]:
    """Every natural key a field or relation points to (dicts with a "type", other than the asset's own)."""
    found = []
    if isinstance(node, dict):
        if "type" in node and "name" in node and set(node) <= {"name", "type", "organization", "inventory"}:
            return [node]
        for key, value in node.items():
            if key not in ("natural_key", "survey_spec", "schedules"):
                found += references(value)
    elif isinstance(node, list):
        for item in node:
            found += references(item)
    return found


def test_every_reference_is_an_object_of_the_file() -> None:
    known = natural_keys()
    for assets in IMPORT.values():
        for asset in assets:
            for ref in references(asset):
                assert ref in known, f"{asset['name']}: {ref} is not in the file"
    for team in IMPORT["teams"]:
        for role in team["related"]["roles"]:
            assert role["content_object"] in known


@pytest.mark.parametrize(("template", "pair"), sorted(TEMPLATE_SURVEY.items()))
def test_each_job_template_carries_the_shipped_survey(template: str, pair: tuple[str, str]) -> None:
    (jt,) = [j for j in IMPORT["job_templates"] if j["name"] == template]
    assert jt["survey_enabled"] is True
    assert jt["playbook"] == pair[1] and (ROOT / jt["playbook"]).is_file()
    assert jt["related"]["survey_spec"] == survey.load(pair[0])


def test_schedules_rbac_and_notifications() -> None:
    schedules = {s["name"]: s for j in IMPORT["job_templates"] for s in j["related"]["schedules"]}
    assert set(schedules) == {
        "bucketguard – Deploy weekly",
        "bucketguard – Verify nightly",
        "bucketguard – Audit weekly",
    }
    for schedule in schedules.values():
        rrulestr(schedule["rrule"].replace(" RRULE:", "\nRRULE:").replace("DTSTART;TZID=UTC:", "DTSTART:"))
        (jt,) = [j for j in IMPORT["job_templates"] if j["natural_key"] == schedule["unified_job_template"]]
        survey.extravars(jt["related"]["survey_spec"], schedule["extra_data"])  # the answers the survey accepts
    teardown = next(j["natural_key"] for j in IMPORT["job_templates"] if j["name"] == "bucketguard – Teardown")
    executes = {
        t["name"]
        for t in IMPORT["teams"]
        for r in t["related"]["roles"]
        if r["content_object"] == teardown and r["name"] == "Execute"
    }
    assert executes == {"bucketguard teardown"}
    assert not [j for j in IMPORT["job_templates"] if j["name"].endswith("Teardown") and j["related"]["schedules"]]
    verify = next(j for j in IMPORT["job_templates"] if j["name"] == "bucketguard – Verify")
    assert verify["related"]["notification_templates_error"]


# --- the helper


def q(name: str, variable: str, kind: str, required: bool, default: Any, **extra: Any) -> dict[str, Any]:
    return {
        "question_name": name,
        "variable": variable,
        "type": kind,
        "required": required,
        "default": default,
        **extra,
    }


SPEC = {
    "name": "t",
    "description": "",
    "spec": [
        q("a", "text_v", "text", True, "", min=1, max=5),
        q("b", "area_v", "textarea", False, ""),
        q("c", "int_v", "integer", False, 3, min=1, max=9),
        q("d", "one_v", "multiplechoice", False, "x", choices=["x", "y"]),
        q("e", "many_v", "multiselect", False, "x\ny", choices="x\ny\nz"),
    ],
}


def test_extravars_types_and_defaults() -> None:
    out = survey.extravars(SPEC, {"text_v": "ab", "area_v": "l1\nl2", "int_v": "7", "many_v": ["z"]})
    assert out == {"text_v": "ab", "area_v": "l1\nl2", "int_v": 7, "one_v": "x", "many_v": ["z"]}
    assert survey.extravars(SPEC, {"text_v": "ab"}) == {"text_v": "ab", "int_v": 3, "one_v": "x", "many_v": ["x", "y"]}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({}, "text_v: value missing"),
        ({"text_v": "toolong"}, "length must be between 1 and 5"),
        ({"text_v": 5}, "must be a string"),
        ({"text_v": "a", "int_v": 10}, "between 1 and 9"),
        ({"text_v": "a", "int_v": "x"}, "must be an integer"),
        ({"text_v": "a", "one_v": "q"}, "is not one of"),
        ({"text_v": "a", "many_v": "x"}, "every answer must be one of"),
        ({"text_v": "a", "other": 1}, "not questions of the survey"),
    ],
)
def test_extravars_refuses_what_awx_refuses(answers: dict[str, Any], message: str) -> None:
    with pytest.raises(survey.SurveyError, match=message):
        survey.extravars(SPEC, answers)
