"""The self-contained HTML page: inline CSS, no scripts, no external requests.

Layout: title and the rejected-files box, the machines-and-runs table, contents,
the optional comparison, one section per family. Readable offline and printable.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from commbench.claims_print import TITLE as LECTURE_TITLE
from commbench.report.page.blocks import Block, RunContext, esc
from commbench.report.page.lecture import ANCHOR as LECTURE_ANCHOR
from commbench.report.page.lecture import CSS as LECTURE_CSS
from commbench.report.page.sections import FamilySection
from commbench.units import format_bytes

_ABSENT = "not installed"
ACROSS_TITLE = "All runs side by side"

CSS = """
:root { --fg: #1d2330; --muted: #5a6270; --line: #d5dae1; --accent: #2f5d9b;
  --warn: #a34a00; --ok: #e5f4e9; --fail: #fbe9e7; --alert: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1380px; padding: 1rem 2rem 3rem; color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; background: #fff; }
h1 { margin: .5rem 0 .2rem; font-size: 1.7rem; }
h2 { margin-top: 2.2rem; padding-bottom: .2rem; border-bottom: 2px solid var(--accent); }
h3 { margin-top: 1.8rem; } h4 { margin: 1.5rem 0 .4rem; }
a { color: var(--accent); }
.meta, figcaption, caption, .legend { color: var(--muted); font-size: .88rem; }
figure { margin: .8rem 0 1.6rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { margin-top: .4rem; max-width: 75em; }
.scroll { overflow-x: auto; margin: .6rem 0 1rem; }
table { border-collapse: collapse; font-size: .84rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; padding-bottom: .4rem; max-width: 75em; }
th, td { padding: .22rem .55rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { background: #f3f5f8; border-bottom: 2px solid var(--line); white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
td.first { border-top: 2px solid #8a93a0; }
.rowhead { font-weight: 600; white-space: nowrap; }
.warn { color: var(--warn); cursor: help; font-weight: 700; }
.matrix { font-size: .78rem; } .matrix td { min-width: 5.5em; }
.matrix td.ok { background: var(--ok); }
.matrix td.fail { background: var(--fail); cursor: help; }
.machines th[scope=row] { background: #f3f5f8; white-space: nowrap; }
.machines tr.differs td { font-weight: 700; }
td.differs { font-weight: 700; background: #fff3cd; }
td.faster { color: #176f2c; } td.slower { color: #a61b1b; }
.alert { border: 2px solid var(--alert); background: #fdf0ef; padding: .6rem 1rem;
  margin: 1rem 0; border-radius: 4px; }
.alert strong { color: var(--alert); }
.top { display: grid; grid-template-columns: minmax(0, 3fr) minmax(14rem, 1fr); gap: 0 2.5rem; }
@media (max-width: 900px) { .top { grid-template-columns: 1fr; } }
.toc ol { margin: .3rem 0; padding-left: 1.4rem; } .toc li { margin: .1rem 0; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .toc { display: none; }
  .top { display: block; }
  a { color: inherit; text-decoration: none; }
  .scroll { overflow: visible; }
  figure, table, .alert { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  figure img { border: none; }
}
"""


def render_page(
    contexts: list[RunContext],
    sections: list[FamilySection],
    *,
    rejected: list[tuple[Path, str]],
    comparison_html: str | None = None,
    generated: datetime | None = None,
    build_s: float | None = None,
    lecture_html: str = "",
) -> str:
    """The whole page as one string. ``comparison_html`` and ``lecture_html`` (the claims
    section, :mod:`.lecture`, first on the page) are trusted, already-escaped HTML."""
    generated = generated or datetime.now().astimezone()
    machines = sorted({ctx.run.machine for ctx in contexts})
    title = f"commbench report: {', '.join(machines)}"
    files = ", ".join(Path(ctx.run.path).name for ctx in contexts)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}{LECTURE_CSS}</style></head><body>",
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Rendered {esc(f"{generated:%Y-%m-%d %H:%M %Z}".strip())} from '
        f"{len(contexts)} result file(s): {esc(files)}. Times are medians; lower is better "
        "unless a caption says otherwise."
        + (f" This page took {build_s:.1f} s to build." if build_s is not None else "")
        + "</p>",
        rejected_box(rejected),
        lecture_html,
        '<div class="top"><section id="machines"><h2>Machines and runs</h2>',
        machines_table(contexts),
        "</section>",
        toc(sections, has_comparison=bool(comparison_html), has_lecture=bool(lecture_html)),
        "</div></header>",
    ]
    if comparison_html:
        parts.append(f'<section id="comparison"><h2>Comparison</h2>{comparison_html}</section>')
    parts.append("<main>")
    parts.extend(section_html(s, several=len(contexts) > 1) for s in sections)
    if not sections:
        parts.append("<p>These files hold no benchmark rows.</p>")
    parts.append(
        "</main><footer>Rendered by commbench. This page is self-contained: figures are "
        "inline PNG images, and it loads nothing from the network.</footer></body></html>"
    )
    return "\n".join(p for p in parts if p)


def rejected_box(rejected: list[tuple[Path, str]]) -> str:
    """A visible box naming every file that was not read, and why."""
    if not rejected:
        return ""
    items = []
    for path, reason in rejected:
        prefix = f"{path}: "
        reason = reason[len(prefix) :] if reason.startswith(prefix) else reason
        items.append(f"<li><code>{esc(path)}</code>: {esc(reason)}</li>")
    return (
        '<div class="alert" role="alert" id="rejected"><strong>'
        f"{len(rejected)} file(s) could not be read and are not in this report:</strong>"
        f"<ul>{''.join(items)}</ul></div>"
    )


def fingerprint_rows(contexts: list[RunContext]) -> list[tuple[str, list[str]]]:
    """(label, one value per run) for the machines table: hardware, software, run."""

    def each(get: Any) -> list[str]:
        values = []
        for ctx in contexts:
            try:
                value = get(ctx, ctx.fingerprint)
            except (KeyError, TypeError, ValueError):
                value = None
            values.append("-" if value in (None, "", []) else str(value))
        return values

    rows = [
        ("result file", each(lambda c, f: Path(c.run.path).name)),
        ("run date", each(lambda c, f: c.when)),
        ("profile", each(lambda c, f: c.profile)),
        ("benchmarks", each(lambda c, f: len(c.run.benchmarks))),
        ("wall time per suite", each(lambda c, f: _wall(c.run.commbench.get("wall_s")))),
        ("host", each(lambda c, f: c.run.machine)),
        ("CPU", each(lambda c, f: f.get("cpu_model") or c.run.machine_info["cpu"]["brand_raw"])),
        ("cores", each(lambda c, f: _cores(f) or c.run.machine_info["cpu"]["count"])),
        ("memory", each(lambda c, f: format_bytes(f["memory_total_bytes"]))),
        ("kernel", each(lambda c, f: f.get("kernel") or c.run.machine_info.get("release"))),
        ("OS", each(lambda c, f: f.get("os") or c.run.machine_info.get("system"))),
        ("Python", each(lambda c, f: _python(f) or c.run.machine_info.get("python_version"))),
        ("protobuf backend", each(lambda c, f: f.get("protobuf_backend"))),
    ]
    installed: list[str] = []  # libraries present in at least one run, one row each
    for ctx in contexts:
        libs = ctx.fingerprint.get("libraries") or {}
        installed += [k for k, v in libs.items() if v != _ABSENT and k not in installed]
    for name in installed:
        rows.append((name, each(lambda c, f, n=name: f["libraries"].get(n, _ABSENT))))
    rows.append(
        (
            _ABSENT,
            each(lambda c, f: ", ".join(k for k, v in f["libraries"].items() if v == _ABSENT)),
        )
    )
    return rows


def _cores(fp: dict[str, Any]) -> str:
    count, affinity = fp.get("cpu_count"), fp.get("cpu_affinity")
    if not count:
        return ""
    return f"{count} (affinity {', '.join(map(str, affinity))})" if affinity else str(count)


def _python(fp: dict[str, Any]) -> str:
    version = fp.get("python_version")
    if not version:
        return ""
    extra = ", ".join(str(fp[k]) for k in ("python_build", "python_compiler") if fp.get(k))
    implementation = fp.get("python_implementation", "Python")
    return f"{implementation} {version}" + (f" ({extra})" if extra else "")


def _wall(wall_s: dict[str, float] | None) -> str:
    """``marshalling 52 s, latency 3.1 min``: how long each suite of the run took."""
    if not wall_s:
        return "-"
    return ", ".join(
        f"{suite} {s:.0f} s" if s < 120 else f"{suite} {s / 60:.1f} min"
        for suite, s in wall_s.items()
    )


def machines_table(contexts: list[RunContext]) -> str:
    """The fingerprint table: one column per result file; differing rows in bold."""
    head = "".join(f'<th scope="col">{esc(ctx.run.machine)}</th>' for ctx in contexts)
    body = []
    for label, values in fingerprint_rows(contexts):
        differs = ' class="differs"' if len(contexts) > 1 and len(set(values)) > 1 else ""
        cells = "".join(f"<td>{esc(v)}</td>" for v in values)
        body.append(f'<tr{differs}><th scope="row">{esc(label)}</th>{cells}</tr>')
    note = (
        "<caption>The fingerprint stored with each result file. Rows in bold differ "
        "between files.</caption>"
        if len(contexts) > 1
        else "<caption>The fingerprint stored with the result file.</caption>"
    )
    return (
        f'<div class="scroll"><table class="machines">{note}<thead><tr><th></th>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _link(anchor: str, text: str, inner: str = "") -> str:
    nested = f"<ol>{inner}</ol>" if inner else ""
    return f'<li><a href="#{esc(anchor)}">{esc(text)}</a>{nested}</li>'


def toc(sections: list[FamilySection], *, has_comparison: bool, has_lecture: bool = False) -> str:
    """Contents: the lecture checked, machines, comparison, then each family and its
    blocks; with several runs, the family's side-by-side blocks and one entry per run."""
    items = [_link(LECTURE_ANCHOR, LECTURE_TITLE)] if has_lecture else []
    items.append(_link("machines", "Machines and runs"))
    if has_comparison:
        items.append(_link("comparison", "Comparison"))
    for section in sections:
        sub = []
        if section.across:
            links = "".join(_link(b.anchor, b.title) for b in section.across)
            sub.append(_link(f"{section.anchor}-runs", ACROSS_TITLE, links))
        several = len(section.parts) > 1 or bool(section.across)
        for ctx, blocks in section.parts:
            if several:  # one entry per run: ten runs' tables would bury the contents
                sub.append(_link(ctx.anchor(section.family), ctx.label))
            else:
                sub.append("".join(_link(b.anchor, b.title) for b in blocks))
        items.append(_link(section.anchor, section.title, "".join(sub)))
    return (
        f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'
    )


def section_html(section: FamilySection, *, several: bool) -> str:
    """One family: an h2, then per run (an h3 when there are several runs) its blocks."""
    out = [f'<section id="{esc(section.anchor)}" class="family"><h2>{esc(section.title)}</h2>']
    level = 4 if several else 3
    if section.across:
        out.append(f'<h3 id="{esc(section.anchor)}-runs">{esc(ACROSS_TITLE)}</h3>')
        out.extend(_block_html(block, level) for block in section.across)
    for ctx, blocks in section.parts:
        if several:
            out.append(f'<h3 id="{esc(ctx.anchor(section.family))}">{esc(ctx.label)}</h3>')
        out.extend(_block_html(block, level) for block in blocks)
    out.append("</section>")
    return "\n".join(out)


def _block_html(block: Block, level: int) -> str:
    return (
        f'<section id="{esc(block.anchor)}"><h{level}>{esc(block.title)}</h{level}>'
        f"{block.html}</section>"
    )
