"""playbooks/audit.yml end to end on LocalStack, and its HTML report in a real headless browser.

    pytest -m audit tests/audit        (starts LocalStack through scripts/emulators.sh if it is not up)

Two accounts (one with two regions) plus one account whose role cannot be assumed (its endpoint does not
answer), buckets in every state that decides exposure, made with boto3. The real `ansible-playbook
playbooks/audit.yml` runs with an inventory written in tmp from inventories/local's group_vars; audit.json
must hold exactly the expected verdicts, and nothing in the accounts may change (every bucket's policy, ACL,
Block Public Access, tags and ownership, and the accounts' Block Public Access, are read before and after).
Then some buckets change and the audit runs again with the first report as bucketguard_audit_previous and
bucketguard_audit_fail_on_public: the report lists exactly those changes and the job fails.

What LocalStack (free edition) cannot show, and where it is covered instead:
- a real AccessDenied on GetBucketPolicy: LocalStack does not enforce bucket policies on their owner, so the
  "deny-read" bucket below (a policy denying s3:GetBucketPolicy to everyone) is read anyway and judged not
  public; the AccessDenied case is tested with the fake client (tests/unit/plugins/modules).
- GetBucketPolicyStatus is not emulated: the inventory turns the second opinion off
  (bucketguard_audit_policy_status: false in inventories/local).
- LocalStack accepts BucketOwnerEnforced on a bucket whose ACL still grants AllUsers READ (AWS refuses
  that change), so the "acls-disabled" bucket below really holds a leftover public grant that ownership
  disables.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import uuid
import zlib
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.awx.runner_layout import ROOT, LocalStack
from tests.lib.playbook import run_playbook, tail

pytestmark = pytest.mark.audit

X, Y, Z = "260000000171", "260000000172", "260000000173"  # Z: its role cannot be assumed
HOME, OTHER = "eu-west-3", "us-east-1"
SUFFIX = uuid.uuid4().hex[:8]
OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
ON = dict.fromkeys(OFF, True)


def name(kind: str) -> str:
    return f"{kind}-{SUFFIX}"


def write_inventory(dest: Path) -> Path:
    """inventories/local's group_vars; X in two regions, Y in one, Z unreachable."""
    shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars")
    hosts = {
        "all": {
            "children": {
                "bucketguard": {
                    "children": {
                        f"account_{X}": {
                            "vars": {"bucketguard_account_id": X, "bucketguard_home_region_name": HOME},
                            "hosts": {f"{X}-{HOME}": {"aws_region": HOME}, f"{X}-{OTHER}": {"aws_region": OTHER}},
                        },
                        f"account_{Y}": {
                            "vars": {"bucketguard_account_id": Y, "bucketguard_home_region_name": OTHER},
                            "hosts": {f"{Y}-{OTHER}": {"aws_region": OTHER}},
                        },
                        f"account_{Z}": {
                            "vars": {"bucketguard_account_id": Z, "bucketguard_home_region_name": HOME},
                            "hosts": {
                                f"{Z}-{HOME}": {
                                    "aws_region": HOME,
                                    "bucketguard_assume_role_arn": f"arn:aws:iam::{Z}:role/bucketguard-audit",
                                    # host vars beat group_vars/all.yml's LocalStack endpoint; nothing answers here
                                    "bucketguard_endpoint_url": "http://127.0.0.1:9",
                                }
                            },
                        },
                    }
                }
            }
        }
    }
    (dest / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return dest


def playbook(inventory: Path, port: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_playbook(inventory, "playbooks/audit.yml", *args, port=port)


def client(localstack: LocalStack, service: str, account: str, region: str = OTHER) -> Any:
    c = boto3.client(
        service,
        region_name=region,
        endpoint_url=localstack.url,
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )
    if service == "s3control":  # the account id goes in the host name: strip it for LocalStack
        c.meta.events.register(
            "before-send.s3-control",
            lambda request, **_: setattr(request, "url", request.url.replace(f"//{account}.", "//", 1)),
        )
    return c


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )  # fmt: skip


def make_bucket(s3: Any, bucket: str, region: str, ownership: str = "BucketOwnerEnforced") -> None:
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": ownership}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict(OFF))


def build_fleet(ls: LocalStack) -> None:
    x_home, x_other = client(ls, "s3", X, HOME), client(ls, "s3", X, OTHER)
    y = client(ls, "s3", Y, OTHER)

    make_bucket(x_home, name("pub-policy"), HOME)
    x_home.put_bucket_policy(Bucket=name("pub-policy"), Policy=public_policy(name("pub-policy")))

    make_bucket(x_home, name("pub-acl"), HOME, ownership="BucketOwnerPreferred")
    x_home.put_bucket_acl(Bucket=name("pub-acl"), ACL="public-read")

    make_bucket(x_home, name("bpa-bucket"), HOME, ownership="ObjectWriter")  # public policy + ACL, then BPA on
    x_home.put_bucket_policy(Bucket=name("bpa-bucket"), Policy=public_policy(name("bpa-bucket")))
    x_home.put_bucket_acl(Bucket=name("bpa-bucket"), ACL="public-read")
    x_home.put_public_access_block(Bucket=name("bpa-bucket"), PublicAccessBlockConfiguration=dict(ON))

    make_bucket(x_home, name("acls-disabled"), HOME, ownership="ObjectWriter")  # leftover grant, ACLs disabled
    x_home.put_bucket_acl(Bucket=name("acls-disabled"), ACL="public-read")
    x_home.put_bucket_ownership_controls(
        Bucket=name("acls-disabled"), OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )

    make_bucket(x_home, name("tagged"), HOME)
    x_home.put_bucket_policy(Bucket=name("tagged"), Policy=public_policy(name("tagged")))
    x_home.put_bucket_tagging(
        Bucket=name("tagged"), Tagging={"TagSet": [{"Key": "bucketguard:public", "Value": "approved"}]}
    )

    make_bucket(x_home, name("www-site"), HOME)
    x_home.put_bucket_policy(Bucket=name("www-site"), Policy=public_policy(name("www-site")))

    make_bucket(x_home, name("deny-read"), HOME)
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetBucketPolicy",
             "Resource": f"arn:aws:s3:::{name('deny-read')}"}
        ],
    }  # fmt: skip
    x_home.put_bucket_policy(Bucket=name("deny-read"), Policy=json.dumps(deny))

    make_bucket(x_other, name("us-ignored-acl"), OTHER, ownership="ObjectWriter")
    x_other.put_bucket_acl(Bucket=name("us-ignored-acl"), ACL="public-read")
    x_other.put_public_access_block(
        Bucket=name("us-ignored-acl"), PublicAccessBlockConfiguration=dict(OFF, IgnorePublicAcls=True)
    )
    x_other.create_bucket(Bucket=name("us-private"))  # AWS's defaults: BPA on, ACLs disabled

    make_bucket(y, name("y-policy"), OTHER)
    y.put_bucket_policy(Bucket=name("y-policy"), Policy=public_policy(name("y-policy")))
    make_bucket(y, name("y-acl"), OTHER, ownership="ObjectWriter")
    y.put_bucket_acl(Bucket=name("y-acl"), ACL="public-read")
    client(ls, "s3control", Y).put_public_access_block(AccountId=Y, PublicAccessBlockConfiguration=dict(ON))


def digest_queue(ls: LocalStack, account: str, region: str) -> str:
    """The account's alert topic (the sns role's name) with an SQS queue subscribed; the queue URL."""
    sns, sqs = client(ls, "sns", account, region), client(ls, "sqs", account, region)
    topic = sns.create_topic(Name="bucketguard-alerts")["TopicArn"]
    url = sqs.create_queue(QueueName=f"audit-digest-{SUFFIX}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return url


def received(ls: LocalStack, account: str, region: str, url: str) -> dict[str, Any]:
    messages = client(ls, "sqs", account, region).receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert len(messages) == 1
    return json.loads(messages[0]["Body"])


def _read(call: Any) -> Any:
    try:
        out = call()
    except Exception as exc:  # "not configured" answers are part of the state
        return f"error: {getattr(exc, 'response', {}).get('Error', {}).get('Code', type(exc).__name__)}"
    out.pop("ResponseMetadata", None)
    return out


def snapshot(ls: LocalStack) -> dict[str, Any]:
    """Everything that decides exposure, in both accounts."""
    out: dict[str, Any] = {}
    for account in (X, Y):
        s3 = client(ls, "s3", account)
        out[account] = _read(lambda a=account: client(ls, "s3control", a).get_public_access_block(AccountId=a))
        for bucket in sorted(b["Name"] for b in s3.list_buckets()["Buckets"]):
            out[bucket] = {
                part: _read(lambda p=part, b=bucket, c=s3: getattr(c, p)(Bucket=b))
                for part in (
                    "get_bucket_policy",
                    "get_bucket_acl",
                    "get_public_access_block",
                    "get_bucket_tagging",
                    "get_bucket_ownership_controls",
                    "get_bucket_location",
                )
            }
    return out


def verdicts(report: dict[str, Any]) -> dict[str, tuple]:
    return {
        b["bucket"]: (b["account_id"], b["region"], b["public"], tuple(b["via"]), bool(b["allowlisted"]))
        for b in report["buckets"]
        if b["bucket"].endswith(SUFFIX)
    }


@pytest.fixture(scope="module")
def first_audit(localstack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("audit")
    build_fleet(localstack)
    inventory = write_inventory(tmp / "inventory")
    before = snapshot(localstack)
    run = playbook(
        inventory,
        localstack.port,
        "-e",
        json.dumps({"bucketguard_audit_dir": str(tmp / "first"), "bucketguard_audit_allowlist": ["www-*"]}),
    )
    assert run.returncode == 0, tail(run)
    return {"tmp": tmp, "inventory": inventory, "before": before, "after": snapshot(localstack), "run": run}


def test_audit_gives_exactly_the_expected_verdicts(first_audit: dict[str, Any]) -> None:
    report = json.loads((first_audit["tmp"] / "first" / "audit.json").read_text())
    assert verdicts(report) == {
        name("pub-policy"): (X, HOME, True, ("policy",), False),
        name("pub-acl"): (X, HOME, True, ("acl",), False),
        name("bpa-bucket"): (X, HOME, False, (), False),
        name("acls-disabled"): (X, HOME, False, (), False),
        name("tagged"): (X, HOME, True, ("policy",), True),
        name("www-site"): (X, HOME, True, ("policy",), True),
        name("deny-read"): (X, HOME, False, (), False),
        name("us-ignored-acl"): (X, OTHER, False, (), False),
        name("us-private"): (X, OTHER, False, (), False),
        name("y-policy"): (Y, OTHER, False, (), False),  # account BPA: RestrictPublicBuckets
        name("y-acl"): (Y, OTHER, False, (), False),  # account BPA: IgnorePublicAcls
    }
    by_name = {b["bucket"]: b for b in report["buckets"]}
    assert any("RestrictPublicBuckets is on at account level" in r for r in by_name[name("y-policy")]["reasons"])
    assert any("IgnorePublicAcls is on at account level" in r for r in by_name[name("y-acl")]["reasons"])
    assert any("BucketOwnerEnforced" in r for r in by_name[name("acls-disabled")]["reasons"])
    assert by_name[name("tagged")]["allowlisted"] == "tagged bucketguard:public=approved"
    assert by_name[name("www-site")]["allowlisted"] == "name matches 'www-*' in the allow-list"
    assert all(b["certain"] and b["errors"] == [] for b in by_name.values() if b["bucket"].endswith(SUFFIX))

    accounts = {a["account_id"]: a for a in report["accounts"]}
    assert set(accounts) == {X, Y, Z}  # once per account, not per host
    assert accounts[Z]["complete"] is False
    assert "Could not assume bucketguard_assume_role_arn" in accounts[Z]["errors"][0]
    assert accounts[X]["complete"] and accounts[Y]["complete"]
    assert report["totals"]["accounts_incomplete"] == 1
    assert report["since_last_time"] is None
    for kind in ("html", "md"):
        assert name("pub-policy") in (first_audit["tmp"] / "first" / f"audit.{kind}").read_text()
    assert "1 account(s) not read completely" in first_audit["run"].stdout


def test_audit_changes_nothing(first_audit: dict[str, Any]) -> None:
    assert first_audit["after"] == first_audit["before"]
    assert name("pub-policy") in first_audit["before"]


def test_check_mode_reads_everything_and_writes_nothing(localstack: LocalStack, first_audit: dict[str, Any]) -> None:
    dest = first_audit["tmp"] / "check"
    run = playbook(
        first_audit["inventory"],
        localstack.port,
        "--check",
        "-e",
        json.dumps({"bucketguard_audit_dir": str(dest), "bucketguard_audit_allowlist": ["www-*"]}),
    )
    assert run.returncode == 0, tail(run)
    assert not dest.exists()
    first = json.loads((first_audit["tmp"] / "first" / "audit.json").read_text())["totals"]
    assert (
        f"bucketguard audit: {first['total']} bucket(s) in 3 account(s): {first['public_not_allowlisted']} public and"
        in run.stdout
    ), tail(run)
    assert "(check mode: not written)" in run.stdout
    assert snapshot(localstack) == first_audit["after"]


def test_since_last_time_lists_exactly_the_changes(localstack: LocalStack, first_audit: dict[str, Any]) -> None:
    tmp = first_audit["tmp"]
    x_home, x_other = client(localstack, "s3", X, HOME), client(localstack, "s3", X, OTHER)
    x_home.delete_bucket_policy(Bucket=name("pub-policy"))  # stops being public
    x_other.put_public_access_block(Bucket=name("us-private"), PublicAccessBlockConfiguration=dict(OFF))
    x_other.put_bucket_policy(Bucket=name("us-private"), Policy=public_policy(name("us-private")))  # becomes public
    x_home.delete_bucket_policy(Bucket=name("bpa-bucket"))
    x_home.delete_bucket(Bucket=name("bpa-bucket"))  # disappears
    make_bucket(x_home, name("new-bucket"), HOME)  # appears (not public)
    queues = {account: digest_queue(localstack, account, home) for account, home in ((X, HOME), (Y, OTHER))}
    before = snapshot(localstack)

    run = playbook(
        first_audit["inventory"],
        localstack.port,
        "-e",
        json.dumps(
            {
                "bucketguard_audit_dir": str(tmp / "second"),
                "bucketguard_audit_previous": str(tmp / "first" / "audit.json"),
                "bucketguard_audit_allowlist": ["www-*"],
                "bucketguard_audit_fail_on_public": True,
                "bucketguard_audit_notify": True,
            }
        ),
    )
    assert run.returncode != 0, tail(run)  # public buckets outside the allow-list: the job goes red
    assert "public bucket(s) not on the allow-list" in run.stdout, tail(run)
    assert snapshot(localstack) == before

    since = json.loads((tmp / "second" / "audit.json").read_text())["since_last_time"]
    mine = {
        kind: sorted(e["bucket"] for e in entries if e["bucket"].endswith(SUFFIX))
        for kind, entries in since.items()
        if isinstance(entries, list) and kind != "not_compared"
    }
    assert mine == {
        "became_public": [name("us-private")],
        "stopped_being_public": [name("pub-policy")],
        "became_undecided": [],
        "became_decided": [],
        "appeared": [name("new-bucket")],
        "disappeared": [name("bpa-bucket")],
    }
    assert since["not_compared"] == [Z]
    # The digest went to each audited account's alert topic (not to Z, which could not be read).
    digest = received(localstack, X, HOME, queues[X])
    assert digest["Subject"].startswith(f"bucketguard audit {X}: ")
    assert f"- {name('us-private')}: became public" in digest["Message"]
    assert f"- {name('pub-acl')} (eu-west-3): bucket ACL grants READ to AllUsers (anyone)" in digest["Message"]
    assert received(localstack, Y, OTHER, queues[Y])["Subject"].startswith(f"bucketguard audit {Y}: ")
    text = (tmp / "second" / "audit.md").read_text()
    assert f"### Became public (1)\n\n- {name('us-private')} ({X}, {OTHER}): public: no -\\> yes" in text


def test_a_bad_input_fails_naming_the_variable(localstack: LocalStack, first_audit: dict[str, Any]) -> None:
    run = playbook(
        first_audit["inventory"],
        localstack.port,
        "-e",
        json.dumps({"bucketguard_audit_previous": "/nonexistent/audit.json", "bucketguard_audit_workers": 0}),
    )
    assert run.returncode != 0
    assert "bucketguard_audit_previous must be an existing audit.json" in run.stdout, tail(run)
    assert "bucketguard_audit_workers must be between 1 and 64" in run.stdout
    run = playbook(first_audit["inventory"], localstack.port, "-e", "bucketguard_audit_notify=perhaps")
    assert run.returncode != 0 and "bucketguard_audit_notify" in run.stdout, tail(run)


# --------------------------------------------------------------------------- the page in a real browser


def browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    setup = subprocess.run([str(ROOT / "scripts" / "ensure-chromium.sh")], capture_output=True, text=True, check=False)
    if setup.returncode != 0:
        pytest.skip(f"no Chromium and scripts/ensure-chromium.sh could not install it: {setup.stderr.strip()[-300:]}")
    return setup.stdout.strip().splitlines()[-1]


def png_pixels(path: Path) -> tuple[int, int, list[bytes], int]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG, unfiltered (standard library only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r) for r in rows], channels


def test_report_renders_in_a_headless_browser(first_audit: dict[str, Any]) -> None:
    # The second report (since last time filled in) when the test before this one made it, else the first.
    second = first_audit["tmp"] / "second" / "audit.html"
    page = second if second.exists() else first_audit["tmp"] / "first" / "audit.html"
    shot = first_audit["tmp"] / "audit-report.png"
    run = subprocess.run(
        [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1200,1400",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    assert shot.stat().st_size > 20_000  # a blank page is a few kilobytes
    width, height, rows, channels = png_pixels(shot)
    assert (width, height) == (1200, 1400)
    colours = {row[i : i + 3] for row in rows[::7] for i in range(0, len(row), channels * 5)}
    assert len(colours) > 50  # text, cards, table lines: not a blank page
    assert bytes((0xCF, 0x22, 0x2E)) in colours  # the red of "public" (cards and the account bars) is drawn
    if os.environ.get("BUCKETGUARD_AUDIT_SCREENSHOT"):
        shutil.copy(shot, os.environ["BUCKETGUARD_AUDIT_SCREENSHOT"])
