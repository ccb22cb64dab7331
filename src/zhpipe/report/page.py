"""The report's page: a section (title, text, tables, plots), the metrics it is built from,
and rendering the sections as HTML and Markdown."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zhpipe.fsutil import atomic_write


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    plots: list[tuple[str, str]] = field(default_factory=list)  # (caption, path relative to out)


def load_metrics(metrics_dir: str | Path) -> dict[str, dict]:
    """``{"download/pd1998": {...}, "prepare/ca8": {...}, "report": ...}`` from the JSON files."""
    metrics_dir = Path(metrics_dir)
    out = {}
    for path in sorted(metrics_dir.rglob("*.json")):
        key = path.relative_to(metrics_dir).with_suffix("").as_posix()
        out[key] = json.loads(path.read_text(encoding="utf-8"))
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_write(path) as fh:
        df.to_csv(fh, index=False)


def runs_on(m: dict) -> str:
    """``tensorflow on cpu``: what a training stage recorded (zhpipe.backend.describe)."""
    b = m.get("backend")
    if isinstance(b, dict):
        return f"{b.get('backend', '?')} on {b.get('device', '?')}"
    return str(b) if b else "?"


def _md_table(df: pd.DataFrame) -> str:
    return df.to_markdown(index=False, floatfmt="g")


def render(sections: list[Section], title: str) -> tuple[str, str]:
    h = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
         "</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
         "padding:3px 8px;text-align:right}th{background:#f0f0f0}td:first-child,td:nth-child(2)"
         "{text-align:left}img{max-width:100%}</style></head><body>",
         f"<h1>{html.escape(title)}</h1>",
         "<p>Generated from reports/metrics/ by the report stage; do not edit by hand.</p>"]
    md = [f"# {title}", "", "Generated from `reports/metrics/` by the report stage; do not edit "
          "by hand.", ""]
    for sec in sections:
        h.append(f"<h2>{html.escape(sec.title)}</h2><p>{sec.text}</p>")
        md += [f"## {sec.title}", "", html.unescape(sec.text), ""]
        for caption, df in sec.tables:
            h.append(f"<h3>{html.escape(caption)}</h3>")
            h.append(df.to_html(index=False, na_rep="", border=0))
            md += [f"### {caption}", "", _md_table(df), ""]
        for caption, rel in sec.plots:
            h.append(f"<figure><img src='{rel}' alt='{html.escape(caption)}'>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            md += [f"![{caption}]({rel})", ""]
    h.append("</body></html>")
    return "\n".join(h), "\n".join(md)
