"""Live smoke test: one account × two regions, a throwaway bucket made public in the region that is NOT the
account's home region, followed until the notifier reports that very event; verify.yml; teardown.

    make live-test                                   # against LocalStack (also part of `make test`)
    BUCKETGUARD_LIVE=aws BUCKETGUARD_LIVE_ACCOUNT=123456789012 make live-test   # against your sandbox account

What it proves on AWS: CloudTrail hands the S3 call to EventBridge in the other region, the rule there forwards
it to the home region's default bus (cross-region target, forwarder role), the home rule invokes the one
notifier, which reads the bucket in its own region and publishes; the notifier's log group then holds a
`reported` line for that bucket. verify.yml runs with its live checks (TestMetricFilter and a fire drill
email). Everything is torn down at the end, audit data included (a purge confirmed here, in a sandbox).

On LocalStack (no CloudTrail, and no Lambda execution without Docker) the same steps run, with two stand-ins:
the CloudTrail event is put on the other region's bus by the test (LocalStack's EventBridge forwards it for
real: a probe queue on the home bus receives it, region kept), and the deployed notifier's code runs
in-process with that forwarded event and the deployed function's environment (as scripts/alarm_drill.py does).
verify.yml runs without the live checks (LocalStack has no TestMetricFilter and cannot invoke).

AWS settings (environment): BUCKETGUARD_LIVE=aws; credentials as for the AWS CLI (AWS_PROFILE or keys);
BUCKETGUARD_LIVE_ACCOUNT (12 digits, required: the test refuses to run against another account);
BUCKETGUARD_LIVE_HOME_REGION (default eu-west-3), BUCKETGUARD_LIVE_OTHER_REGION (default us-east-1);
BUCKETGUARD_LIVE_EMAIL (optional subscriber: you get the fire drill and the alert);
BUCKETGUARD_LIVE_TIMEOUT (seconds to wait for the report, default 600).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import random
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import pytest
import yaml

from tests.awx.runner_layout import ROOT
from tests.lib.playbook import run_playbook, tail

pytestmark = pytest.mark.live

LIVE_AWS = os.environ.get("BUCKETGUARD_LIVE", "") == "aws"
PREFIX = "bgsmoke"


def drill_module():
    """scripts/alarm_drill.py, for its LocalStack client factory and mailbox reader."""
    spec = importlib.util.spec_from_file_location("alarm_drill", ROOT / "scripts" / "alarm_drill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Target:
    """Where the test runs: account, regions, how to make clients, extra inventory settings."""

    def __init__(self, localstack_url: str | None):
        self.url = localstack_url
        if LIVE_AWS:
            self.account = os.environ.get("BUCKETGUARD_LIVE_ACCOUNT", "")
            self.home = os.environ.get("BUCKETGUARD_LIVE_HOME_REGION", "eu-west-3")
            self.other = os.environ.get("BUCKETGUARD_LIVE_OTHER_REGION", "us-east-1")
            caller = boto3.client("sts").get_caller_identity()["Account"]
            if caller != self.account:
                pytest.fail(f"BUCKETGUARD_LIVE_ACCOUNT is {self.account!r} but the credentials are for {caller}")
        else:
            # A fresh account id for each run: LocalStack keeps state between runs of the same server.
            self.account = f"28{random.SystemRandom().randrange(10**10):010d}"
            self.home, self.other = "eu-west-3", "us-east-1"

    def client(self, service: str, region: str):
        if LIVE_AWS:
            return boto3.client(service, region_name=region)
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=self.account,
            aws_secret_access_key="test",
        )


def write_inventory(target: Target, dest: Path) -> Path:
    group_vars: dict = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "bucketguard_home_region": "{{ aws_region == bucketguard_home_region_name }}",
        "bucketguard_name_prefix": PREFIX,
        "bucketguard_tags": {"project": "bucketguard", "purpose": "live-smoke-test"},
        "sns_email_subscribers": [os.environ.get("BUCKETGUARD_LIVE_EMAIL", "smoke@example.com")],
    }
    if not LIVE_AWS:  # the local fleet's settings (LocalStack endpoint, keys, trail stand-in), our prefix
        shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars")
        local = yaml.safe_load((dest / "group_vars" / "all.yml").read_text())
        group_vars = {**local, "bucketguard_name_prefix": PREFIX}
    (dest / "group_vars").mkdir(parents=True, exist_ok=True)
    (dest / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars, sort_keys=False))
    hosts = {
        "all": {
            "children": {
                f"account_{target.account}": {
                    "vars": {"bucketguard_account_id": target.account, "bucketguard_home_region_name": target.home},
                    "hosts": {f"{target.account}-{r}": {"aws_region": r} for r in (target.home, target.other)},
                }
            },
        }
    }
    (dest / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return dest


def playbook(inventory: Path, port: str | None, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_playbook(inventory, name, *args, port=port, timeout=1800)


def make_public(target: Target, bucket: str) -> None:
    s3 = target.client("s3", target.other)
    kwargs = {} if target.other == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": target.other}}
    s3.create_bucket(Bucket=bucket, **kwargs)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SmokeTestPublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def remove_bucket(target: Target, bucket: str) -> None:
    s3 = target.client("s3", target.other)
    with contextlib.suppress(Exception):
        s3.delete_bucket_policy(Bucket=bucket)
    with contextlib.suppress(Exception):
        s3.delete_bucket(Bucket=bucket)


def wait_for_report_on_aws(target: Target, bucket: str, started_ms: int) -> dict:
    """The notifier's `reported` log line for the bucket, from its log group in the home region."""
    logs = target.client("logs", target.home)
    deadline = time.monotonic() + int(os.environ.get("BUCKETGUARD_LIVE_TIMEOUT", "600"))
    while time.monotonic() < deadline:
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            found = logs.filter_log_events(
                logGroupName=f"/aws/lambda/{PREFIX}-notifier",
                startTime=started_ms,
                filterPattern='{ $.bucketguard = "reported" }',
            )["events"]
            for item in found:
                entry = json.loads(item["message"][item["message"].index("{") :])
                if bucket in entry.get("buckets", []):
                    return entry
        time.sleep(15)
    pytest.fail(f"the notifier did not report s3://{bucket} within the timeout")


def report_on_localstack(target: Target, bucket: str) -> tuple[dict, dict, list[dict]]:
    """Stand in for CloudTrail and Lambda: put the call's event on the other region's bus, receive it on the home
    bus through a probe queue (LocalStack forwards it for real), run the deployed notifier on it in-process."""
    drill = drill_module()
    event_id = str(uuid.uuid4())
    record = drill.cloudtrail_record(
        drill.argparse.Namespace(account=target.account, region=target.other, bucket=bucket),
        "PutBucketPolicy",
        {
            "bucketPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "SmokeTestPublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
                ],
            }
        },
    )
    record["eventID"] = event_id
    sqs, events_home = target.client("sqs", target.home), target.client("events", target.home)
    queue = sqs.create_queue(QueueName=f"bgsmoke-probe-{event_id[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events_home.put_rule(Name="bgsmoke-probe", EventPattern=json.dumps({"detail": {"eventID": [event_id]}}))
    events_home.put_targets(Rule="bgsmoke-probe", Targets=[{"Id": "probe", "Arn": queue_arn}])
    try:
        target.client("events", target.other).put_events(
            Entries=[{"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(record)}]
        )
        forwarded = None
        deadline = time.monotonic() + 60
        while forwarded is None and time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2).get("Messages", []):
                forwarded = json.loads(message["Body"])
        assert forwarded is not None, "the event put in the other region never reached the home region's bus"
    finally:
        events_home.remove_targets(Rule="bgsmoke-probe", Ids=["probe"])
        events_home.delete_rule(Name="bgsmoke-probe")
        sqs.delete_queue(QueueUrl=queue)
    args = drill.argparse.Namespace(
        account=target.account, region=target.home, endpoint=target.url, prefix=PREFIX, json=True
    )
    result, lines = drill.run_notifier(args, target.client("lambda", target.home), forwarded)
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    reported = next((entry for entry in logged if entry.get("bucketguard") == "reported"), None)
    assert reported is not None, lines
    assert event_id in reported["event_ids"], reported
    return reported, forwarded, result


def test_public_bucket_in_another_region_reaches_the_home_notifier(localstack, tmp_path: Path) -> None:
    target = Target(None if LIVE_AWS else localstack.url)
    if LIVE_AWS and not target.account:
        pytest.fail("set BUCKETGUARD_LIVE_ACCOUNT to the 12-digit id of the sandbox account")
    port = None if LIVE_AWS else localstack.port
    inventory = write_inventory(target, tmp_path / "inventory")
    bucket = f"{PREFIX}-{uuid.uuid4().hex[:12]}"
    if not LIVE_AWS:
        stand_in = playbook(inventory, port, "scripts/local_trail_stand_in.yml")
        assert stand_in.returncode == 0, tail(stand_in)
    deploy = playbook(inventory, port, "playbooks/deploy.yml")
    try:
        assert deploy.returncode == 0, tail(deploy)
        started_ms = int(time.time() * 1000)
        make_public(target, bucket)
        if LIVE_AWS:
            reported = wait_for_report_on_aws(target, bucket, started_ms)
        else:
            reported, forwarded, result = report_on_localstack(target, bucket)
            assert forwarded["region"] == target.other and result["status"] == "published"
            with contextlib.redirect_stdout(io.StringIO()):
                target.client("ses", target.home).list_identities()
            mails = drill_module().read_emails(
                drill_module().argparse.Namespace(endpoint=target.url), time_of(started_ms)
            )
            bodies = [m["Body"]["text_part"] for m in mails if bucket in m["Body"]["text_part"]]
            assert bodies and "PUBLIC via policy" in bodies[-1] and f"region {target.other}" in bodies[-1]
        assert bucket in reported["buckets"], reported
        assert reported["severity"] == "CRITICAL"

        live = ["-e", "bucketguard_verify_test_metric_filter=true", "-e", "bucketguard_verify_fire_drill=true"]
        verify = playbook(inventory, port, "playbooks/verify.yml", *(live if LIVE_AWS else []))
        assert verify.returncode == 0, tail(verify)
        assert "bucketguard fleet healthy: 2 account-region(s) OK." in verify.stdout, tail(verify)
    finally:
        remove_bucket(target, bucket)
        teardown = playbook(
            inventory,
            port,
            "playbooks/teardown.yml",
            "-e",
            "bucketguard_teardown_confirm=teardown",
            "-e",
            "bucketguard_purge_logs=true",
            "-e",
            "bucketguard_purge_confirm=purge-audit-logs",
        )
    assert teardown.returncode == 0, tail(teardown)
    left = [f["FunctionName"] for f in target.client("lambda", target.home).list_functions()["Functions"]]
    assert f"{PREFIX}-notifier" not in left


def time_of(ms: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC)
