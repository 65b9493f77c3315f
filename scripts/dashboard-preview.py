#!/usr/bin/env python3
"""Render a CloudWatch dashboard body as an HTML layout preview (24-column grid).

    python scripts/dashboard-preview.py BODY.json OUT.html [--title TEXT]

A layout preview, not a CloudWatch screenshot: each widget is drawn at its x, y, width, height
with its type, title and what it would show (alarm names, metrics, the query's columns, the
text widget's markdown). There is no data: graphs are empty and alarm tiles have no state.
Standard library only.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

COLUMN_PX = 58  # width of one of the 24 grid columns
ROW_PX = 34  # height of one grid row unit
GAP_PX = 6


def _inline(text: str) -> str:
    """Escape, then the inline markdown CloudWatch text widgets use most: code, bold, italic, links."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![*\w])\*([^*]+)\*(?!\w)", r"<i>\1</i>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', out)


def markdown_to_html(markdown: str) -> str:
    """A small markdown subset: headings, paragraphs, numbered/bulleted lists, pipe tables."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    rows: list[list[str]] = []

    def flush() -> None:
        nonlocal paragraph, items, rows, list_tag
        if paragraph:
            blocks.append("<p>" + _inline(" ".join(paragraph)) + "</p>")
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>")
        if rows:
            head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= {"-", " ", ":"} for c in r)]
            blocks.append(
                "<table><tr>"
                + "".join(f"<th>{_inline(c)}</th>" for c in head)
                + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
                + "</table>"
            )
        paragraph, items, rows, list_tag = [], [], [], ""

    for raw in markdown.splitlines():
        line = raw.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        numbered = re.match(r"^\d+\.\s+(.*)$", line)
        bullet = re.match(r"^[-*]\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            level = min(len(heading.group(1)) + 1, 6)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.startswith("|"):
            if not rows:
                flush()
            rows.append([c.strip() for c in line.strip("|").split("|")])
        elif numbered or bullet:
            tag = "ol" if numbered else "ul"
            if list_tag != tag:
                flush()
                list_tag = tag
            items.append((numbered or bullet).group(1))
        else:
            if items or rows:
                flush()
            paragraph.append(line)
    flush()
    return "\n".join(blocks)


def _metric_lines(properties: dict[str, Any]) -> list[str]:
    """'Namespace / Metric [dim=value] (stat)' for each metric row of a metric widget."""
    lines = []
    for row in properties.get("metrics", []):
        options = row[-1] if row and isinstance(row[-1], dict) else {}
        names = [str(x) for x in row if not isinstance(x, dict)]
        namespace, metric, dims = names[0], names[1], names[2:]
        dim_text = " ".join(f"{dims[i]}={dims[i + 1]}" for i in range(0, len(dims) - 1, 2))
        stat = options.get("stat", properties.get("stat", "Average"))
        label = options.get("label", metric)
        lines.append(f"{label}: {namespace} / {metric} {dim_text} ({stat})".replace("  ", " "))
    return lines


def _query_columns(query: str) -> list[str]:
    """The column names a Logs Insights query displays (its 'as NAME' aliases)."""
    fields = re.search(r"\|\s*(?:fields|display)\s+(.*?)(?:\n\s*\||$)", query, re.S)
    return re.findall(r"\bas\s+(\w+)", fields.group(1)) if fields else []


def widget_html(widget: dict[str, Any]) -> str:
    """One widget as an absolutely positioned box on the grid."""
    kind = widget.get("type", "?")
    props = widget.get("properties", {})
    x, y, w, h = (int(widget.get(k, d)) for k, d in (("x", 0), ("y", 0), ("width", 6), ("height", 6)))
    style = f"left:{x * COLUMN_PX}px;top:{y * ROW_PX}px;width:{w * COLUMN_PX - GAP_PX}px;height:{h * ROW_PX - GAP_PX}px"
    title = props.get("title", "")
    body = ""
    if kind == "alarm":
        tiles = []
        for arn in props.get("alarms", []):
            parts = arn.split(":")
            tiles.append(
                f'<div class="tile"><b>{html.escape(parts[-1])}</b>'
                f"<span>{html.escape(parts[4])} · {html.escape(parts[3])}</span>"
                "<em>state: no data in preview</em></div>"
            )
        body = '<div class="tiles">' + "".join(tiles) + "</div>"
    elif kind == "metric":
        lines = _metric_lines(props)
        notes = [
            f"line at {a.get('value')} — {a.get('label', '')}"
            for a in props.get("annotations", {}).get("horizontal", [])
        ]
        period = props.get("period")
        body = (
            '<div class="graph"><div class="axis"></div></div><ul class="legend">'
            + "".join(f"<li>{html.escape(t)}</li>" for t in lines)
            + "".join(f'<li class="note">{html.escape(t)}</li>' for t in notes)
            + (f'<li class="note">{period} s periods · {html.escape(props.get("region", ""))}</li>' if period else "")
            + "</ul>"
        )
    elif kind == "log":
        query = props.get("query", "")
        source = re.search(r"SOURCE\s+'([^']+)'", query)
        columns = _query_columns(query)
        events = re.search(r"eventName in \[(.*?)\]", query, re.S)
        count = len(re.findall(r'"(\w+)"', events.group(1))) if events else 0
        body = (
            '<table class="log"><tr>'
            + "".join(f"<th>{html.escape(c)}</th>" for c in columns)
            + "</tr>"
            + "".join("<tr>" + "<td></td>" * len(columns) + "</tr>" for _ in range(3))
            + "</table>"
            + f'<p class="note">Logs Insights on <code>{html.escape(source.group(1) if source else "?")}</code>'
            + f" · {count} CloudTrail event names · newest first</p>"
        )
    elif kind == "text":
        body = '<div class="md">' + markdown_to_html(props.get("markdown", "")) + "</div>"
    head = f'<div class="head"><span class="kind">{html.escape(kind)}</span> {html.escape(title)}</div>'
    return f'<div class="widget {html.escape(kind)}" style="{style}">{head}{body}</div>'


def render(body: dict[str, Any], title: str) -> str:
    widgets = body.get("widgets", [])
    rows = max((int(w.get("y", 0)) + int(w.get("height", 6)) for w in widgets), default=1)
    grid = "".join(
        f'<div class="col" style="left:{i * COLUMN_PX}px;width:{COLUMN_PX - GAP_PX}px"></div>' for i in range(24)
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
 body {{ font: 13px/1.35 "DejaVu Sans", Arial, sans-serif; background: #f2f3f3; margin: 16px; color: #16191f; }}
 h1 {{ font-size: 18px; margin: 0 0 2px; }}
 .sub {{ color: #545b64; margin-bottom: 12px; font-size: 12px; }}
 .grid {{ position: relative; width: {24 * COLUMN_PX}px; height: {rows * ROW_PX}px; }}
 .col {{ position: absolute; top: 0; bottom: 0; background: rgba(0,0,0,0.025); }}
 .widget {{ position: absolute; background: #fff; border: 1px solid #d5dbdb; border-radius: 3px;
            box-shadow: 0 1px 1px rgba(0,28,36,.2); overflow: hidden; padding: 6px 9px; box-sizing: border-box; }}
 .head {{ font-weight: bold; margin-bottom: 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
 .kind {{ font-weight: normal; font-size: 10px; text-transform: uppercase; background: #232f3e; color: #fff;
          padding: 1px 5px; border-radius: 2px; margin-right: 4px; }}
 .alarm .kind {{ background: #d13212; }} .log .kind {{ background: #1d8102; }} .text .kind {{ background: #687078; }}
 .tiles {{ display: flex; flex-wrap: wrap; gap: 6px; }}
 .tile {{ border: 1px solid #aab7b8; border-left: 6px solid #aab7b8; padding: 4px 8px;
          display: flex; flex-direction: column; flex: 1 1 200px; max-width: 240px; box-sizing: border-box; }}
 .tile span, .tile em, .note {{ color: #687078; font-size: 11px; }}
 .graph {{ height: 45%; border-left: 1px solid #aab7b8; border-bottom: 1px solid #aab7b8; margin: 0 4px 6px;
           background: repeating-linear-gradient(0deg, #fff 0 24px, #f4f4f4 24px 25px); }}
 .legend {{ margin: 0; padding-left: 16px; font-size: 11px; }}
 table {{ border-collapse: collapse; width: 100%; font-size: 12px; }}
 th, td {{ border: 1px solid #d5dbdb; padding: 3px 5px; text-align: left; }}
 th {{ background: #fafafa; }} table.log td {{ height: 14px; }}
 .md h2 {{ font-size: 15px; margin: 0 0 6px; }} .md p, .md ol, .md ul {{ margin: 0 0 6px; }}
 .md ol {{ padding-left: 18px; }} code {{ background: #f2f3f3; padding: 0 3px; font-size: 11px; }}
 a {{ color: #0073bb; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<div class="sub">Layout preview of the dashboard body
(24-column grid, default range {html.escape(str(body.get("start", "")))}).
Not a CloudWatch screenshot: no data, alarm tiles have no state.</div>
<div class="grid">{grid}{"".join(widget_html(w) for w in widgets)}</div>
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("body", type=Path, help="dashboard body JSON file ('-' for stdin)")
    parser.add_argument("out", type=Path, help="HTML file to write")
    parser.add_argument("--title", default="", help="heading (default: the body file's name)")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if str(args.body) == "-" else args.body.read_text(encoding="utf-8")
    body = json.loads(text)
    args.out.write_text(render(body, args.title or args.body.stem), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
