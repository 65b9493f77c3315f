"""audit_report: counts, since last time, the three renderings (escaping), the digest, and s3_exposure_report."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bucketguard.visibility.plugins.module_utils import audit_report
from ansible_collections.bucketguard.visibility.plugins.modules import s3_exposure_report
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lib.module_harness import ModuleExit, ModuleFail, _exit_json, _fail_json

A, B = "111111111111", "222222222222"


def entry(account: str, bucket: str, public, allowlisted=None, region="eu-west-3", reasons=None, errors=None):
    return {
        "account_id": account,
        "region": region,
        "bucket": bucket,
        "public": public,
        "via": ["policy"] if public else [],
        "reasons": reasons or (["bucket policy: public"] if public else ["no public ACL grant"]),
        "allowlisted": allowlisted,
        "certain": public is not None,
        "errors": errors or [],
    }


def account(account_id: str, buckets: list, complete: bool = True, errors=None) -> dict:
    return {"account_id": account_id, "home_region": "eu-west-3", "complete": complete, "errors": errors or [],
            "buckets": buckets}  # fmt: skip


def sample(**kw) -> dict:
    accounts = [
        account(
            A,
            [
                entry(A, "open-data", True),
                entry(A, "www-site", True, allowlisted="name matches 'www-*' in the allow-list"),
                entry(A, "locked", None, reasons=["not decided"], errors=["policy: AccessDenied"]),
                entry(A, "quiet", False),
            ],
        ),
        account(B, [], complete=False, errors=["ListBuckets: AccessDenied"]),
    ]
    return audit_report.build_report(accounts, "2026-12-01T08:00:00Z", **kw)


def test_counts_and_order() -> None:
    report = sample()
    assert report["totals"] == {
        "total": 4,
        "public": 2,
        "public_not_allowlisted": 1,
        "allowlisted": 1,
        "undecided": 1,
        "private": 1,
        "accounts": 2,
        "accounts_incomplete": 1,
    }
    assert [b["bucket"] for b in report["buckets"]] == ["open-data", "www-site", "locked", "quiet"]
    assert report["accounts"][1] == {
        "account_id": B, "home_region": "eu-west-3", "complete": False, "errors": ["ListBuckets: AccessDenied"],
        "total": 0, "public": 0, "public_not_allowlisted": 0, "allowlisted": 0, "undecided": 0, "private": 0,
    }  # fmt: skip
    assert report["since_last_time"] is None
    assert json.loads(audit_report.render_json(report)) == report


def test_since_last_time_lists_exactly_the_changes() -> None:
    previous = audit_report.build_report(
        [
            account(
                A,
                [
                    entry(A, "open-data", False),
                    entry(A, "www-site", True),
                    entry(A, "gone", True),
                    entry(A, "locked", False),
                    entry(A, "quiet", True),
                ],
            ),
            account(B, [entry(B, "b-bucket", True)]),
        ],
        "2026-11-24T08:00:00Z",
    )
    current = audit_report.build_report(
        [
            account(
                A,
                [
                    entry(A, "open-data", True),
                    entry(A, "www-site", True),
                    entry(A, "new-one", False),
                    entry(A, "locked", None),
                    entry(A, "quiet", False),
                ],
            ),
            account(B, [], complete=False, errors=["ListBuckets: AccessDenied"]),
        ],
        "2026-12-01T08:00:00Z",
        previous=previous,
    )
    since = current["since_last_time"]
    names = {k: [e["bucket"] for e in v] for k, v in since.items() if isinstance(v, list) and k != "not_compared"}
    assert names == {
        "became_public": ["open-data"],
        "stopped_being_public": ["quiet"],
        "became_undecided": ["locked"],
        "became_decided": [],
        "appeared": ["new-one"],
        "disappeared": ["gone"],  # b-bucket is not "disappeared": account B could not be listed this time
    }
    assert since["not_compared"] == [B]
    assert since["changes"] == 5
    assert since["previous_generated_at"] == "2026-11-24T08:00:00Z"
    assert since["became_public"][0]["was"] is False


def test_same_report_twice_has_no_change() -> None:
    first = sample()
    again = sample(previous=first)
    assert again["since_last_time"]["changes"] == 0


@pytest.mark.parametrize("bad", [[], {"buckets": "x"}, {"buckets": [{"bucket": "no-account"}]}])
def test_a_previous_report_that_is_not_one_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="previous report"):
        sample(previous=bad)


def test_html_and_markdown_show_what_matters_first() -> None:
    report = sample()
    page = audit_report.render_html(report)
    assert page.index("open-data") < page.index("locked") < page.index("www-site") < page.index("quiet")
    assert "https://s3.console.aws.amazon.com/s3/buckets/open-data?region=eu-west-3&amp;tab=permissions" in page
    assert "<svg" in page and "ListBuckets: AccessDenied" in page
    text = audit_report.render_markdown(report)
    assert text.index("## Public buckets (not allow-listed) (1)") < text.index("open-data")
    assert "[console](https://s3.console.aws.amazon.com/s3/buckets/open-data?region=eu-west-3&tab=permissions)" in text


def test_console_links_per_partition() -> None:
    assert audit_report.console_url("b", "cn-north-1").startswith("https://console.amazonaws.cn/s3/buckets/b?")
    assert audit_report.console_url("b", "us-gov-west-1").startswith("https://console.amazonaws-us-gov.com/")
    assert (
        audit_report.console_url("a b/c", None)
        == "https://s3.console.aws.amazon.com/s3/buckets/a%20b%2Fc?tab=permissions"
    )


HOSTILE = '<script>alert(1)</script>|x\n| y"<img src=x onerror=alert(2)>&amp;`*[link](javascript:z)'


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def hostile_report(text: str) -> dict:
    accounts = [account(A, [entry(A, text, True, reasons=[text], errors=[text]),
                            entry(A, text + "2", None, reasons=[text], errors=[text]),
                            entry(A, text + "3", True, allowlisted=text)], errors=[text])]  # fmt: skip
    previous = audit_report.build_report([account(A, [entry(A, text, False)])], text)
    return audit_report.build_report(accounts, "2026-12-01T08:00:00Z", previous=previous)


def test_hostile_text_is_inert_in_html() -> None:
    page = audit_report.render_html(hostile_report(HOSTILE))
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert HOSTILE.replace("\n", " ") not in page
    assert html.escape("<script>alert(1)</script>") in page
    assert HOSTILE.split("\n")[0] in "".join(parser.text)  # shown to people as text


def test_hostile_text_stays_in_its_markdown_cell() -> None:
    text = audit_report.render_markdown(hostile_report(HOSTILE))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "script" in line]
    assert rows
    for row in rows:
        # six columns: unescaped pipes are the seven cell borders
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row
        assert "<" not in row.replace("\\<", "")


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_no_raw_angle_bracket_from_input_reaches_the_html(text: str) -> None:
    page = audit_report.render_html(hostile_report(text))
    ours = audit_report.render_html(hostile_report("plain"))
    # Every "<" in the page is one of the template's own tags: as many as with harmless input.
    assert page.count("<") == ours.count("<")


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_markdown_cells_never_break(text: str) -> None:
    out = audit_report.render_markdown(hostile_report(text))
    ours = audit_report.render_markdown(hostile_report("plain"))
    assert len(out.splitlines()) == len(ours.splitlines())
    for line in out.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            assert len(re.findall(r"(?<!\\)\|", line.replace("\\\\", ""))) in (7, 9), line


def test_digest_per_account() -> None:
    previous = audit_report.build_report([account(A, [entry(A, "open-data", False)])], "2026-11-24T08:00:00Z")
    report = sample(previous=previous)
    mail = audit_report.digest(report, A)
    assert mail["subject"] == f"bucketguard audit {A}: 1 public bucket(s) not allow-listed"
    assert "- open-data (eu-west-3): bucket policy: public" in mail["body"]
    assert "- open-data: became public" in mail["body"]
    assert "https://s3.console.aws.amazon.com/s3/buckets/open-data" in mail["body"]
    assert "could not be read completely" in audit_report.digest(report, B)["body"]


# --------------------------------------------------------------------------- the module


def run_report(args: dict, check_mode: bool = False) -> dict:
    full = dict(args, _ansible_check_mode=check_mode, _ansible_diff=False)
    with (
        patch_module_args(full),
        mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json),
        mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json),
    ):
        try:
            s3_exposure_report.main()
        except ModuleFail:
            raise
        except ModuleExit as e:
            return e.result
    raise AssertionError("no exit_json")


def test_module_writes_once_then_only_on_change(tmp_path: Path) -> None:
    accounts = [account(A, [entry(A, "open-data", True)])]
    dest = tmp_path / "out"
    checked = run_report({"dest": str(dest), "accounts": accounts, "generated_at": "2026-12-01T08:00:00Z"}, True)
    assert checked["changed"] is True and not dest.exists()  # check mode writes nothing
    first = run_report({"dest": str(dest), "accounts": accounts, "generated_at": "2026-12-01T08:00:00Z"})
    assert first["changed"] is True and len(first["written"]) == 3
    assert json.loads((dest / "audit.json").read_text())["buckets"][0]["bucket"] == "open-data"
    assert (dest / "audit.html").read_text().startswith("<!DOCTYPE html>")
    again = run_report({"dest": str(dest), "accounts": accounts, "generated_at": "2026-12-08T08:00:00Z"})
    assert again["changed"] is False and again["written"] == []
    assert "2026-12-01T08:00:00Z" in (dest / "audit.json").read_text()  # left as it was
    changed = run_report(
        {
            "dest": str(dest),
            "accounts": [account(A, [entry(A, "open-data", False)])],
            "previous": str(dest / "audit.json"),
        }
    )
    assert changed["changed"] is True
    assert changed["since_last_time"]["stopped_being_public"][0]["bucket"] == "open-data"
    assert changed["digests"][A]["subject"].endswith("no public bucket outside the allow-list")
    assert changed["totals"]["public"] == 0


def test_module_names_a_bad_previous_or_dest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(ModuleFail) as failure:
        run_report({"dest": str(tmp_path), "accounts": [], "previous": str(bad)})
    assert failure.value.result["msg"].startswith("previous: ")
    with pytest.raises(ModuleFail) as failure:
        run_report({"dest": str(tmp_path), "accounts": [], "previous": str(tmp_path / "none.json")})
    assert "previous: cannot read" in failure.value.result["msg"]
    with pytest.raises(ModuleFail) as failure:
        run_report({"dest": str(bad), "accounts": []})
    assert failure.value.result["msg"].startswith("dest: ")
