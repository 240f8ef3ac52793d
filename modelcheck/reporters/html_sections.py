"""Sections of the HTML report: the run's header, the registry summary, the per-rule and
per-version tables. Every value from a report goes through :func:`esc` (package names, messages,
provenance, targets and settings are hostile input)."""

from __future__ import annotations

import json
from html import escape

from modelcheck.reporters.registry import registry_summary
from modelcheck.reporters.summary import STATUSES, Summary
from modelcheck.results import Report


def esc(s: object) -> str:
    return escape(str(s), quote=True)


def pill(level: str, cls: str = "") -> str:
    return f'<span class="pill b-{esc(cls or level)}">{esc(level)}</span>'


def sortable(label: str, key: str, *, num: bool = False, kind: str = "",
             desc: bool | None = None) -> str:
    """A header that sorts its table (a button inside, for the keyboard). ``kind``: how its
    ``data-<key>`` values compare (text, num, rank); numbers sort largest first on the first
    click unless ``desc`` says otherwise."""
    cls = ' class="num"' if num else ""
    typ = kind or ("num" if num else "text")
    first = ' data-first="desc"' if (num if desc is None else desc) else ""
    return (f'<th{cls} data-key="{key}" data-type="{typ}"{first}>'
            f'<button type="button">{esc(label)}</button></th>')


def _duration(started: str, finished: str) -> str:
    from datetime import datetime

    try:
        secs = (datetime.fromisoformat(finished.replace("Z", "+00:00"))
                - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()
    except (ValueError, TypeError):
        return ""
    return f" ({secs:.0f} s)" if secs >= 0 else ""


def invocation(report: Report, default_version: str) -> str:
    """What the run was: the tool's version, its start and end, the targets, and the
    effective settings (collapsed)."""
    inv = report.invocation
    if inv is None:
        return ""
    rows = [("modelcheck", esc(inv.tool_version or default_version))]
    if inv.started:
        rows.append(("started", f'<time>{esc(inv.started)}</time>'))
    if inv.finished:
        rows.append(("finished", f'<time>{esc(inv.finished)}</time>'
                     + esc(_duration(inv.started, inv.finished))))
    elif inv.started:
        rows.append(("finished", "not finished"))
    from modelcheck.reporters import mask_url  # a target URL's credentials

    targets = "".join(f"<code>{esc(mask_url(t))}</code>" for t in inv.targets) or "(none)"
    rows.append((f"targets ({len(inv.targets)})", f'<div class="targets">{targets}</div>'))
    out = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    settings = "".join(
        f'<tr><td class="mono">{esc(k)}</td><td class="mono">'
        f'{esc(json.dumps(v, sort_keys=True, default=str))}</td></tr>'
        for k, v in sorted(inv.settings.items()))
    details = (f'<details id="settings"><summary>effective settings ({len(inv.settings)})'
               f'</summary><table class="settings"><tbody>{settings}</tbody></table></details>'
               if inv.settings else "")
    return f'<dl id="invocation">{out}</dl>{details}'


VERDICT_CLASS = {"pass": "pass", "fail": "fail", "not checked": "not"}


def registry(report: Report) -> str:
    """Per registered model: what points at a version → the version → its verdict."""
    models = registry_summary(report)
    if not models:
        return ""
    groups = []
    for m in models:
        n = len(m.pointers)
        sub = (f'<div class="sub">{m.versions} version{"" if m.versions == 1 else "s"} checked'
               f' &middot; {m.failing} failing'
               + (f" &middot; {m.unchecked} not checked" if m.unchecked else "") + "</div>")
        rows = []
        for i, p in enumerate(m.pointers):
            first = (f'<td class="model mono" rowspan="{n}">{esc(m.model)}{sub}</td>'
                     if i == 0 else "")
            rows.append(
                f'<tr class="pick" data-sel="model" data-val="{esc(m.model)}">{first}'
                f'<td class="mono">{esc(p.label)}</td><td class="mono">{esc(p.version)}</td>'
                f'<td>{pill(p.verdict, VERDICT_CLASS.get(p.verdict, "not"))}</td>'
                f'<td class="num">{p.errors}</td><td class="num">{p.warnings}</td>'
                f'<td class="num">{p.notes}</td><td class="mono">{esc(p.display)}</td></tr>')
        groups.append(f'<tbody data-model="{esc(m.model)}">{"".join(rows)}</tbody>')
    return ('<h2>Registry</h2><table id="registry"><thead><tr><th>model</th><th>points at</th>'
            '<th>version</th><th>verdict</th><th class="num">errors</th>'
            '<th class="num">warnings</th><th class="num">notes</th><th>package</th></tr>'
            f'</thead>{"".join(groups)}</table>')


SEVERITY = {"error": 3, "warning": 2, "note": 1}


def rule_table(s: Summary) -> str:
    if not s.rules:
        return "<p>No findings.</p>"
    rows = "".join(
        f'<tr class="pick" data-sel="rule" data-val="{esc(r.code)}" data-code="{esc(r.code)}" '
        f'data-name="{esc(r.name)}" data-level="{SEVERITY.get(r.level, 0)}" '
        f'data-count="{r.findings}" data-packages="{len(r.packages)}">'
        f'<td class="mono">{esc(r.code)}</td><td class="mono">{esc(r.name)}</td>'
        f'<td>{pill(r.level)}</td><td class="num">{r.findings}</td>'
        f'<td class="num">{len(r.packages)}</td></tr>' for r in s.rules)
    head = (sortable("rule", "code") + sortable("name", "name")
            + sortable("level", "level", kind="num", desc=True)
            + sortable("findings", "count", num=True)
            + sortable("packages", "packages", num=True))
    return f'<table id="rules"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def version_table(s: Summary) -> str:
    rows = "".join(
        f'<tr class="pick" data-sel="version" data-val="{esc(v.version)}">'
        f'<td class="mono">{esc(v.version)}</td><td class="num">{v.packages}</td>'
        + "".join(f'<td class="num s-{st}">{v.by_status[st]}</td>' for st in STATUSES)
        + f'<td class="num">{v.findings}</td></tr>' for v in s.versions)
    head = "".join(f'<th class="num">{st}</th>' for st in STATUSES)
    return ('<table id="versions"><thead><tr><th>mlflow_version</th>'
            f'<th class="num">packages</th>{head}<th class="num">findings</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def cards(s: Summary) -> str:
    items = [(s.packages, "packages", "")]
    items += [(s.by_status[st], f"{st} packages", f"s-{st}") for st in STATUSES]
    items += [(s.counts[lv], f"{lv}s", f"s-{lv}") for lv in ("error", "warning", "note")]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="n {cls}">{n}</div><div class="l">{esc(label)}</div></div>'
        for n, label, cls in items) + "</div>"


def bar(s: Summary) -> str:
    if not s.packages:
        return ""
    spans = "".join(
        f'<span class="b-{st}" style="width:{100 * s.by_status[st] / s.packages:.3f}%" '
        f'title="{st}: {s.by_status[st]}"></span>' for st in STATUSES if s.by_status[st])
    legend = " &middot; ".join(f'<span class="s-{st}">{st}: {s.by_status[st]}</span>'
                               for st in STATUSES)
    return f'<div class="bar">{spans}</div><div>{legend}</div>'
