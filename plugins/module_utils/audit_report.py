# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet audit's report: totals, "since last time", and its three renderings (pure, standard library).

``build_report(accounts, generated_at, previous)`` takes the per-account results of the
``s3_exposure_audit`` module and returns the report dict that ``render_json`` writes as audit.json;
``render_html`` and ``render_markdown`` render the same dict for people. Every text that comes from
the watched accounts (bucket names, reasons, which quote policy principals, error codes) is escaped:
``html.escape`` in HTML, backslash escapes (``|``, ``<``, ``*``...) and no newline in Markdown.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

REPORT_FORMAT = 1
# The order people read: what needs action first.
CATEGORIES = ("public", "allowlisted", "undecided", "private")
LABELS = {
    "public": "public, not allow-listed",
    "allowlisted": "public, allow-listed",
    "undecided": "not decided",
    "private": "not public",
}
COLOURS = {"public": "#cf222e", "allowlisted": "#bf8700", "undecided": "#8c959f", "private": "#2da44e"}


# --------------------------------------------------------------------------- counting


def category(entry: dict[str, Any]) -> str:
    """public (not allow-listed), allowlisted (public and meant to be), undecided (null) or private."""
    public = entry.get("public")
    if public is None:
        return "undecided"
    if public:
        return "allowlisted" if entry.get("allowlisted") else "public"
    return "private"


def counts(buckets: list[dict[str, Any]]) -> dict[str, int]:
    """How many buckets in each category. ``public`` counts every public bucket, allow-listed or not."""
    per = {name: 0 for name in CATEGORIES}
    for entry in buckets:
        per[category(entry)] += 1
    return {
        "total": len(buckets),
        "public": per["public"] + per["allowlisted"],
        "public_not_allowlisted": per["public"],
        "allowlisted": per["allowlisted"],
        "undecided": per["undecided"],
        "private": per["private"],
    }


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return (str(entry.get("account_id", "")), str(entry.get("bucket", "")))


def _sort_key(entry: dict[str, Any]) -> tuple[int, str, str]:
    return (CATEGORIES.index(category(entry)), *_key(entry))


# --------------------------------------------------------------------------- since last time


def check_previous(previous: Any) -> dict[str, Any]:
    """The previous audit.json as a dict; ValueError naming what is wrong."""
    if not isinstance(previous, dict) or not isinstance(previous.get("buckets"), list):
        raise ValueError("the previous report is not an audit.json of this collection (no 'buckets' list)")
    for entry in previous["buckets"]:
        if not isinstance(entry, dict) or "bucket" not in entry or "account_id" not in entry:
            raise ValueError("the previous report has a bucket entry without 'account_id' and 'bucket'")
    return previous


def _complete_accounts(report: dict[str, Any]) -> set[str]:
    return {str(a.get("account_id")) for a in report.get("accounts", []) if a.get("complete")}


def since_last_time(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What changed between two reports, per bucket (account id + name).

    Buckets of an account that either report could not list completely are not said to have appeared or
    disappeared (their accounts are listed in ``not_compared``). A bucket whose verdict was or is undecided
    is listed under ``became_undecided`` / ``became_decided`` rather than as a change of exposure.
    """
    before = {_key(e): e for e in previous.get("buckets", [])}
    after = {_key(e): e for e in current.get("buckets", [])}
    both = _complete_accounts(previous) & _complete_accounts(current)
    seen_accounts = {k[0] for k in before} | {k[0] for k in after}
    seen_accounts |= {str(a.get("account_id")) for r in (previous, current) for a in r.get("accounts", [])}
    out: dict[str, list[dict[str, Any]]] = {
        "became_public": [],
        "stopped_being_public": [],
        "became_undecided": [],
        "became_decided": [],
        "appeared": [],
        "disappeared": [],
    }

    def item(entry: dict[str, Any], was: Any = None) -> dict[str, Any]:
        return {
            "account_id": entry.get("account_id"),
            "region": entry.get("region"),
            "bucket": entry.get("bucket"),
            "public": entry.get("public"),
            "was": was,
            "allowlisted": entry.get("allowlisted"),
            "via": entry.get("via", []),
        }

    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None and new is not None:
            if key[0] in both:
                out["appeared"].append(item(new))
        elif new is None and old is not None:
            if key[0] in both:
                out["disappeared"].append(item(old, old.get("public")))
        elif old is not None and new is not None:
            was, now = old.get("public"), new.get("public")
            if was is not True and now is True and was is not None:
                out["became_public"].append(item(new, was))
            elif was is True and now is False:
                out["stopped_being_public"].append(item(new, was))
            elif was is not None and now is None:
                out["became_undecided"].append(item(new, was))
            elif was is None and now is not None:
                out["became_decided"].append(item(new, was))
    result: dict[str, Any] = dict(out)
    result["previous_generated_at"] = previous.get("generated_at")
    result["not_compared"] = sorted(a for a in seen_accounts if a not in both)
    result["changes"] = sum(len(v) for v in out.values())
    return result


# --------------------------------------------------------------------------- the report


def build_report(
    accounts: list[dict[str, Any]], generated_at: str, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The audit.json dict from the per-account results of s3_exposure_audit (or of a failed account:
    ``{"account_id", "complete": false, "errors": [...]}``)."""
    buckets: list[dict[str, Any]] = []
    summaries = []
    for account in sorted(accounts, key=lambda a: str(a.get("account_id", ""))):
        entries = [dict(e) for e in account.get("buckets") or []]
        buckets.extend(entries)
        summaries.append(
            {
                "account_id": str(account.get("account_id", "")),
                "home_region": account.get("home_region"),
                "complete": bool(account.get("complete")),
                "errors": list(account.get("errors") or []),
                **counts(entries),
            }
        )
    buckets.sort(key=_sort_key)
    totals = counts(buckets)
    totals["accounts"] = len(summaries)
    totals["accounts_incomplete"] = sum(1 for a in summaries if not a["complete"])
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "generated_at": generated_at,
        "totals": totals,
        "accounts": summaries,
        "buckets": buckets,
    }
    report["since_last_time"] = since_last_time(check_previous(previous), report) if previous is not None else None
    return report


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"


# --------------------------------------------------------------------------- links and digest


def partition_of(region: str | None) -> str:
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def console_url(bucket: str, region: str | None) -> str:
    """The bucket's Permissions tab in the S3 console of its partition."""
    host = {
        "aws": "s3.console.aws.amazon.com",
        "aws-cn": "console.amazonaws.cn",
        "aws-us-gov": "console.amazonaws-us-gov.com",
    }[partition_of(region)]
    query = f"?region={quote(region, safe='')}&tab=permissions" if region else "?tab=permissions"
    return f"https://{host}/s3/buckets/{quote(str(bucket), safe='')}{query}"


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def digest(report: dict[str, Any], account_id: str) -> dict[str, str]:
    """The e-mail (subject, body) for one account: its public and undecided buckets, and its changes."""
    account = next((a for a in report["accounts"] if a["account_id"] == account_id), None)
    mine = [b for b in report["buckets"] if str(b.get("account_id")) == account_id]
    if account is None:
        return {"subject": f"bucketguard audit: account {account_id} was not audited", "body": ""}
    headline = (
        f"{account['public_not_allowlisted']} public bucket(s) not allow-listed"
        if account["public_not_allowlisted"]
        else "no public bucket outside the allow-list"
    )
    lines = [
        f"bucketguard audit of account {account_id} at {report['generated_at']}: {headline}.",
        f"{account['total']} bucket(s): {account['public']} public ({account['allowlisted']} allow-listed), "
        f"{account['undecided']} not decided, {account['private']} not public.",
    ]
    if not account["complete"]:
        lines.append("The account could not be read completely: " + "; ".join(account["errors"]))
    for cat in ("public", "undecided", "allowlisted"):
        group = [b for b in mine if category(b) == cat]
        if group:
            lines += ["", LABELS[cat].capitalize() + ":"]
            for b in group:
                why = "; ".join(b.get("reasons", [])) if cat != "allowlisted" else b.get("allowlisted")
                lines.append(f"- {b['bucket']} ({b.get('region') or 'region unknown'}): {_one_line(why)}")
                if cat == "public":
                    lines.append(f"  {console_url(b['bucket'], b.get('region'))}")
    since = report.get("since_last_time")
    if since:
        changes = [
            (name, e)
            for name in ("became_public", "stopped_being_public", "appeared", "disappeared", "became_undecided")
            for e in since[name]
            if str(e.get("account_id")) == account_id
        ]
        lines += ["", f"Since the report of {since.get('previous_generated_at')}:"]
        lines += [f"- {e['bucket']}: {name.replace('_', ' ')}" for name, e in changes] or ["- no change"]
    subject = f"bucketguard audit {account_id}: {headline}"
    return {"subject": subject[:99], "body": "\n".join(lines) + "\n"}


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
.muted{color:#656d76}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:26px}.card.public b{color:#cf222e}.card.allowlisted b{color:#bf8700}
.card.undecided b{color:#57606a}.card.private b{color:#1a7f37}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:5px 8px;
border-bottom:1px solid #eaeef2;vertical-align:top}th{background:#f6f8fa;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}td.k,td code{white-space:nowrap}
.tag{display:inline-block;border-radius:10px;padding:0 7px;font-size:12px;color:#fff}
.legend span{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
ul{margin:0;padding-left:18px}.bad{color:#cf222e}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bar_svg(account: dict[str, Any], width: int = 320, height: int = 16) -> str:
    """A stacked bar of the account's buckets per category (inline SVG)."""
    total = account["total"]
    values = {
        "public": account["public_not_allowlisted"],
        "allowlisted": account["allowlisted"],
        "undecided": account["undecided"],
        "private": account["private"],
    }
    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{_e(account['account_id'])}: "
        + ", ".join(f"{values[c]} {LABELS[c]}" for c in CATEGORIES)
        + "</title>",
        f'<rect width="{width}" height="{height}" fill="#eaeef2" rx="3"/>',
    ]
    x = 0.0
    for cat in CATEGORIES:
        if not total or not values[cat]:
            continue
        w = width * values[cat] / total
        parts.append(f'<rect x="{x:.1f}" width="{max(w, 2):.1f}" height="{height}" fill="{COLOURS[cat]}"/>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _list(items: list[Any]) -> str:
    if not items:
        return ""
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _bucket_rows(entries: list[dict[str, Any]], why: str) -> str:
    rows = []
    for b in entries:
        reason = [b.get("allowlisted")] if why == "allowlisted" else b.get("reasons", [])
        errors = b.get("errors") or []
        unread = (
            f"<div class=muted>could not read: {_e('; '.join(errors))}</div>" if errors and why == "undecided" else ""
        )
        rows.append(
            "<tr>"
            f"<td><code>{_e(b.get('bucket'))}</code></td>"
            f"<td class=k>{_e(b.get('account_id'))}</td><td class=k>{_e(b.get('region') or '?')}</td>"
            f"<td>{_e(', '.join(b.get('via') or []) or '-')}</td>"
            f"<td>{_list(reason)}{unread}</td>"
            f'<td><a href="{_e(console_url(str(b.get("bucket")), b.get("region")))}">console</a></td>'
            "</tr>"
        )
    head = "<tr><th>bucket</th><th>account</th><th>region</th><th>via</th><th>why</th><th></th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _since_html(since: dict[str, Any] | None) -> str:
    if since is None:
        return "<p class=muted>No previous report was given (bucketguard_audit_previous).</p>"
    out = [f"<p class=muted>Compared with the report of {_e(since.get('previous_generated_at'))}.</p>"]
    if not since["changes"]:
        out.append("<p>No change.</p>")
    for name in (
        "became_public",
        "stopped_being_public",
        "became_undecided",
        "became_decided",
        "appeared",
        "disappeared",
    ):
        entries = since[name]
        if not entries:
            continue
        items = "".join(
            f"<li><code>{_e(e['bucket'])}</code> ({_e(e['account_id'])}, {_e(e.get('region') or '?')}) "
            f"{_e(_change(name, e))}</li>"
            for e in entries
        )
        out.append(f"<h3>{_e(name.replace('_', ' ').capitalize())} ({len(entries)})</h3><ul>{items}</ul>")
    if since.get("not_compared"):
        out.append(
            "<p class=muted>Not compared (an account missing or not read completely in one of the two reports): "
            + _e(", ".join(since["not_compared"]))
            + "</p>"
        )
    return "".join(out)


def _word(value: Any) -> str:
    return {True: "yes", False: "no", None: "unknown"}.get(value, str(value))


def _change(kind: str, e: dict[str, Any]) -> str:
    if kind == "appeared":
        return f"public: {_word(e.get('public'))}"
    if kind == "disappeared":
        return f"was public: {_word(e.get('was'))}"
    return f"public: {_word(e.get('was'))} -> {_word(e.get('public'))}"


def render_html(report: dict[str, Any]) -> str:
    totals = report["totals"]
    by_cat: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for b in report["buckets"]:
        by_cat[category(b)].append(b)
    legend = "".join(f'<span><i style="background:{COLOURS[c]}"></i>{_e(LABELS[c])}</span>' for c in CATEGORIES)
    account_rows = "".join(
        "<tr>"
        f"<td class=k>{_e(a['account_id'])}</td><td class=k>{_e(a.get('home_region') or '')}</td>"
        f"<td class=n>{a['total']}</td>"
        f"<td class='n{' bad' if a['public_not_allowlisted'] else ''}'>{a['public_not_allowlisted']}</td>"
        f"<td class=n>{a['allowlisted']}</td><td class=n>{a['undecided']}</td><td class=n>{a['private']}</td>"
        f"<td>{_bar_svg(a)}</td>"
        f"<td>{'complete' if a['complete'] else '<span class=bad>incomplete</span>'}{_list(a['errors'])}</td>"
        "</tr>"
        for a in report["accounts"]
    )
    cards = "".join(
        f'<div class="card {c}"><b>{v}</b>{_e(label)}</div>'
        for c, v, label in (
            ("public", totals["public_not_allowlisted"], LABELS["public"]),
            ("allowlisted", totals["allowlisted"], LABELS["allowlisted"]),
            ("undecided", totals["undecided"], LABELS["undecided"]),
            ("private", totals["private"], LABELS["private"]),
            ("", totals["accounts"], "account(s)"),
        )
    )
    sections = []
    for cat, title in (
        ("public", "Public buckets (not allow-listed)"),
        ("undecided", "Buckets that could not be decided"),
        ("allowlisted", "Public buckets on the allow-list"),
    ):
        body = _bucket_rows(by_cat[cat], cat) if by_cat[cat] else "<p class=muted>None.</p>"
        sections.append(f"<h2>{_e(title)} ({len(by_cat[cat])})</h2>{body}")
    private = by_cat["private"]
    sections.append(
        f"<h2>Not public ({len(private)})</h2><details><summary>Show the {len(private)} bucket(s)</summary>"
        + (_bucket_rows(private, "private") if private else "")
        + "</details>"
    )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>bucketguard audit {_e(report['generated_at'])}</title><style>{_CSS}</style></head><body>"
        "<h1>bucketguard: what is public right now</h1>"
        f"<div class=muted>generated_at {_e(report['generated_at'])} &middot; {totals['total']} bucket(s) in "
        f"{totals['accounts']} account(s) &middot; judged with the notifier's own rules</div>"
        f"<div class=cards>{cards}</div>"
        "<h2>Accounts</h2>"
        f"<div class=legend>{legend}</div>"
        "<table><tr><th>account</th><th>home region</th><th>buckets</th><th>public</th><th>allow-listed</th>"
        f"<th>not decided</th><th>not public</th><th></th><th>scan</th></tr>{account_rows}</table>"
        "<h2>Since last time</h2>" + _since_html(report.get("since_last_time")) + "".join(sections) + "</body></html>\n"
    )


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def md(value: Any) -> str:
    """Text safe in a Markdown table cell: one line, Markdown and HTML characters backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line("" if value is None else value))


def _md_table(entries: list[dict[str, Any]], why: str) -> list[str]:
    lines = ["| bucket | account | region | via | why | console |", "| --- | --- | --- | --- | --- | --- |"]
    for b in entries:
        reason = [b.get("allowlisted")] if why == "allowlisted" else list(b.get("reasons", []))
        if why == "undecided" and b.get("errors"):
            reason.append("could not read: " + "; ".join(b["errors"]))
        url = console_url(str(b.get("bucket")), b.get("region")).replace(")", "%29").replace("(", "%28")
        lines.append(
            f"| {md(b.get('bucket'))} | {md(b.get('account_id'))} | {md(b.get('region') or '?')} | "
            f"{md(', '.join(b.get('via') or []) or '-')} | {'; '.join(md(r) for r in reason)} | [console]({url}) |"
        )
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    totals = report["totals"]
    lines = [
        "# bucketguard: what is public right now",
        "",
        f"generated_at {md(report['generated_at'])}: {totals['total']} bucket(s) in {totals['accounts']} account(s); "
        f"**{totals['public_not_allowlisted']} public, not allow-listed**, {totals['allowlisted']} public and "
        f"allow-listed, {totals['undecided']} not decided, {totals['private']} not public.",
        "",
        "## Accounts",
        "",
        "| account | home region | buckets | public | allow-listed | not decided | not public | scan |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in report["accounts"]:
        scan = "complete" if a["complete"] else "incomplete: " + "; ".join(md(e) for e in a["errors"])
        lines.append(
            f"| {md(a['account_id'])} | {md(a.get('home_region') or '')} | {a['total']} "
            f"| {a['public_not_allowlisted']} | {a['allowlisted']} | {a['undecided']} | {a['private']} | {scan} |"
        )
    lines += ["", "## Since last time", ""]
    since = report.get("since_last_time")
    if since is None:
        lines.append("No previous report was given (bucketguard_audit_previous).")
    else:
        lines.append(f"Compared with the report of {md(since.get('previous_generated_at'))}.")
        if not since["changes"]:
            lines += ["", "No change."]
        for name in (
            "became_public",
            "stopped_being_public",
            "became_undecided",
            "became_decided",
            "appeared",
            "disappeared",
        ):
            if since[name]:
                lines += ["", f"### {name.replace('_', ' ').capitalize()} ({len(since[name])})", ""]
                lines += [
                    f"- {md(e['bucket'])} ({md(e['account_id'])}, {md(e.get('region') or '?')}): {md(_change(name, e))}"
                    for e in since[name]
                ]
        if since.get("not_compared"):
            lines += ["", "Not compared (not read completely in both reports): " + md(", ".join(since["not_compared"]))]
    by_cat: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for b in report["buckets"]:
        by_cat[category(b)].append(b)
    for cat, title in (
        ("public", "Public buckets (not allow-listed)"),
        ("undecided", "Buckets that could not be decided"),
        ("allowlisted", "Public buckets on the allow-list"),
        ("private", "Not public"),
    ):
        lines += ["", f"## {title} ({len(by_cat[cat])})", ""]
        lines += _md_table(by_cat[cat], cat) if by_cat[cat] else ["None."]
    return "\n".join(lines) + "\n"
