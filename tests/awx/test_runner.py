"""Run the playbooks the way AWX runs a job: ansible-runner over a private data dir (docs/awx.md).

    pytest tests/awx/test_runner.py        (starts LocalStack through scripts/emulators.sh if it is not up)

The job is the Deploy job template: project = this checkout, inventory = inventories/local, extra vars =
survey answers (made by tests/awx/survey.py from the shipped files/awx/surveys/*.json), `--limit` = one
account's home-region host (AWX's "Limit" field) so the test stays fast however many roles deploy.yml grows to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import ansible_runner
import boto3
import pytest
import yaml

from tests.awx import survey
from tests.awx.runner_layout import ROOT, VENV_BIN, LocalStack, home_hosts, make_private_data_dir

pytestmark = pytest.mark.awx

LOCAL_INVENTORY = ROOT / "inventories" / "local"
EXAMPLE_INVENTORY = ROOT / "inventories" / "example"
# One account × one region: the first account's home-region host of the local fleet.
TARGET = home_hosts(LOCAL_INVENTORY)[0]
SUBSCRIBER = "awx-test@example.com"
SUBSCRIBER_2 = "awx-test-2@example.com"
# LocalStack's free edition has no CloudTrail: the local fleet has `trail_manage: false`, and this playbook creates
# the log group an organisation trail would deliver to (scripts/demo.sh runs it before the deploy too).
STAND_IN = "scripts/local_trail_stand_in.yml"
# The job templates' surveys as shipped (files/awx/awx-import.json carries the same specs).
DEPLOY = survey.load("deploy")
TEARDOWN = survey.load("teardown")


def envvars(localstack_port: str = "4566") -> dict[str, str]:
    """What AWX's credential injectors and EE put in the job's environment (dummy AWS credential)."""
    return {
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "BUCKETGUARD_LOCALSTACK_PORT": localstack_port,
        # An AWX "Amazon Web Services" credential injects these; the local inventory's per-host keys win.
        "AWS_ACCESS_KEY_ID": "000000000000",
        "AWS_SECRET_ACCESS_KEY": "test",
        # Keep the machine's own AWS profiles out of the job.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def run_job(
    tmp_path: Path,
    playbook: str,
    *,
    extravars: dict[str, Any],
    port: str = "4566",
    inventory: Path = LOCAL_INVENTORY,
    limit: str | None = TARGET["host"],
    env: dict[str, str] | None = None,
    drop_group_vars: tuple[str, ...] = (),
    stand_in_extravars: dict[str, Any] | None = None,
) -> tuple[Any, str]:
    """Run `playbook` as an AWX job; with `stand_in_extravars`, first run the LocalStack trail stand-in
    (as `make demo` does, LocalStack has no CloudTrail) as its own job with those extra vars."""
    pdd = make_private_data_dir(
        tmp_path,
        inventory_src=inventory,
        envvars={**envvars(port), **(env or {})},
        extravars=stand_in_extravars if stand_in_extravars is not None else extravars,
        settings={"job_timeout": 600, "idle_timeout": 300},
    )
    if drop_group_vars:
        all_yml = pdd / "inventory" / "group_vars" / "all.yml"
        data = yaml.safe_load(all_yml.read_text())
        all_yml.write_text(yaml.safe_dump({k: v for k, v in data.items() if k not in drop_group_vars}))
    if stand_in_extravars is not None and (pdd / "project" / STAND_IN).is_file():
        prep = ansible_runner.run(private_data_dir=str(pdd), playbook=STAND_IN, limit=limit, quiet=True)
        assert prep.status == "successful", prep.stdout.read()[-4000:]
    (pdd / "env" / "extravars").write_text(json.dumps(extravars, indent=2))
    result = ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, limit=limit, forks=5, quiet=True)
    return result, result.stdout.read()


def sns(localstack: LocalStack) -> Any:
    return boto3.client(
        "sns",
        endpoint_url=localstack.url,
        region_name=TARGET["region"],
        aws_access_key_id=TARGET["account_id"],
        aws_secret_access_key="test",
    )


def topic_arn(prefix: str) -> str:
    return f"arn:aws:sns:{TARGET['region']}:{TARGET['account_id']}:{prefix}-alerts"


def topic_exists(client: Any, arn: str) -> bool:
    topics = [t["TopicArn"] for page in client.get_paginator("list_topics").paginate() for t in page["Topics"]]
    return arn in topics


def test_deploy_job_succeeds_and_creates_the_topic(tmp_path: Path, localstack: LocalStack) -> None:
    """The Deploy job with the subscribers answered in the survey's textarea (one address a line, as AWX sends a
    textarea answer): the job succeeds and the topic has exactly those subscriptions."""
    prefix = "bgawx"
    client = sns(localstack)
    client.delete_topic(TopicArn=topic_arn(prefix))  # a clean account: the job, not an earlier run, makes it

    result, stdout = run_job(
        tmp_path,
        "playbooks/deploy.yml",
        extravars=survey.extravars(
            DEPLOY, {"bucketguard_name_prefix": prefix, "sns_email_subscribers": f"{SUBSCRIBER}\n{SUBSCRIBER_2}"}
        ),
        stand_in_extravars={"bucketguard_name_prefix": prefix},
        port=localstack.port,
    )

    assert result.status == "successful", stdout[-4000:]
    assert result.rc == 0
    assert TARGET["host"] in result.stats["ok"]
    assert not result.stats["failures"] and not result.stats["dark"]
    assert topic_exists(client, topic_arn(prefix))
    subs = client.list_subscriptions_by_topic(TopicArn=topic_arn(prefix))["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subs) == sorted(
        [("email", SUBSCRIBER), ("email", SUBSCRIBER_2)]
    )


def test_deploy_job_takes_the_awx_aws_credential_from_the_environment(tmp_path: Path, localstack: LocalStack) -> None:
    """No keys in the inventory: the job uses what an AWX "Amazon Web Services" credential injects."""
    prefix = "bgawxcred"
    client = sns(localstack)
    client.delete_topic(TopicArn=topic_arn(prefix))

    result, stdout = run_job(
        tmp_path,
        "playbooks/deploy.yml",
        extravars=survey.extravars(DEPLOY, {"bucketguard_name_prefix": prefix, "sns_email_subscribers": SUBSCRIBER}),
        stand_in_extravars={"bucketguard_name_prefix": prefix},
        port=localstack.port,
        # LocalStack takes the access key id as the account id: the topic lands in TARGET's account
        # only if the job really used these environment variables.
        env={"AWS_ACCESS_KEY_ID": TARGET["account_id"], "AWS_SECRET_ACCESS_KEY": "test"},
        drop_group_vars=("bucketguard_aws_access_key", "bucketguard_aws_secret_key"),
    )

    assert result.status == "successful", stdout[-4000:]
    assert topic_exists(client, topic_arn(prefix))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        # not a survey question: an extra var of the template (or the inventory) with a bad value
        ("bucketguard_account_id", "12ab", "bucketguard_account_id must be 12 digits"),
        # survey answers AWX accepts (length within the question's min..max), that the playbook rejects
        ("bucketguard_name_prefix", "Bad_Prefix", "bucketguard_name_prefix must be"),
        ("sns_email_subscribers", "not-an-email", "sns_email_subscribers"),
    ],
)
def test_bad_survey_answer_fails_the_job_naming_the_variable(
    tmp_path: Path, localstack: LocalStack, variable: str, value: Any, message: str
) -> None:
    prefix = "bgawxbad"
    client = sns(localstack)
    client.delete_topic(TopicArn=topic_arn(prefix))
    good = {"bucketguard_name_prefix": prefix, "sns_email_subscribers": SUBSCRIBER}
    questions = {q["variable"] for q in DEPLOY["spec"]}
    if variable in questions:
        extravars = survey.extravars(DEPLOY, {**good, variable: value})
    else:
        extravars = {**survey.extravars(DEPLOY, good), variable: value}

    result, stdout = run_job(
        tmp_path,
        "playbooks/deploy.yml",
        extravars=extravars,
        stand_in_extravars={"bucketguard_name_prefix": prefix},
        port=localstack.port,
    )

    assert result.status == "failed", stdout[-4000:]
    assert result.rc != 0
    assert message in stdout, stdout[-4000:]
    assert not topic_exists(client, topic_arn(prefix)), "the job made the topic before rejecting its input"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"bucketguard_teardown_confirm": "yes"}, "Refusing to tear down"),
        (
            {"bucketguard_teardown_confirm": "teardown", "bucketguard_purge_logs": "true"},
            "Refusing to delete the audit data",
        ),
    ],
)
def test_teardown_survey_answers_short_of_the_confirmations_refuse(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    """The Teardown survey lets any text through (AWX cannot check a value); the playbook stops first."""
    result, stdout = run_job(tmp_path, "playbooks/teardown.yml", extravars=survey.extravars(TEARDOWN, answers))
    assert result.status == "failed", stdout[-4000:]
    assert message in stdout and "Nothing was changed" in stdout, stdout[-4000:]


def test_example_inventory_passes_the_inventory_checks(tmp_path: Path) -> None:
    """inventories/example (the real-fleet template) is valid as shipped: types, formats, one home per account."""
    result, stdout = run_job(
        tmp_path, "playbooks/check_inventory.yml", extravars={}, inventory=EXAMPLE_INVENTORY, limit=None
    )

    assert result.status == "successful", stdout[-4000:]
    assert result.rc == 0
    assert len(result.stats["ok"]) == 6


# --- Fleet usage AWX relies on: a --limit to some regions (the textarea subscribers answer: the deploy test above).


def test_limit_to_one_region_passes_the_inventory_check(tmp_path: Path) -> None:
    result, stdout = run_job(tmp_path, "playbooks/check_inventory.yml", extravars={}, limit="*-us-east-1")
    assert result.status == "successful", stdout[-4000:]
