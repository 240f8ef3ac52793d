"""One self-contained HTML page for an audit of many packages.

No network: CSS and JS are inline (:mod:`.html_assets`), there are no fonts, images or scripts
from elsewhere, and a Content-Security-Policy forbids any fetch. Package content is hostile, so
every string from a report (paths, messages, fixes, versions, flavors, provenance, targets,
settings) goes through :func:`html.escape`; the page builds no markup from data at run time,
its script only sorts, filters and shows rows, and keeps that view in the URL's hash.
"""

from __future__ import annotations

from modelcheck.reporters import html_sections as sec
from modelcheck.reporters.html_assets import CSS, JS
from modelcheck.reporters.html_sections import esc, pill, sortable
from modelcheck.reporters.summary import STATUSES, Summary, status, summarize
from modelcheck.results import PROVENANCE_KEYS, Finding, PackageResult, Report
from modelcheck.version import __version__

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

# provenance shown as columns of the package table (all of it is in the package's details):
# (provenance key, header, data-* key, how it sorts)
PROV_COLUMNS = (("model", "model", "model", "text"),
                ("version", "model version", "mversion", "num"),
                ("aliases", "aliases", "aliases", "text"), ("stage", "stage", "stage", "text"))


def _finding(f: Finding) -> str:
    where = esc(f.file or "(package)")
    if f.line:
        where += f":{f.line}" + (f":{f.col}" if f.col else "")
    if f.pointer:
        where += f" &middot; {esc(f.pointer)}"
    fix = f'<div class="fix">fix: {esc(f.fix)}</div>' if f.fix else ""
    return (f'<div class="find l-{esc(f.level)}" data-code="{esc(f.code)}" '
            f'data-level="{esc(f.level)}">{pill(str(f.level))} '
            f'<b class="mono">{esc(f.code)}</b> <span class="mono">{esc(f.name)}</span> '
            f'<span class="where">{where}</span>'
            f'<div class="msg">{esc(f.message)}</div>{fix}</div>')


def _provenance(prov: dict[str, str]) -> str:
    keys = [k for k in PROVENANCE_KEYS if prov.get(k)]
    keys += sorted(k for k in prov if k not in PROVENANCE_KEYS and prov[k])
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(prov[k])}</dd>" for k in keys)
    return f'<dl class="prov">{items}</dl>' if items else ""


def _package(p: PackageResult, registry: bool) -> str:
    st = status(p)
    c = {"error": 0, "warning": 0, "note": 0}
    for f in p.findings:
        c[str(f.level)] += 1
    rules = " ".join(sorted({f.code for f in p.findings}))
    ver = p.mlflow_version or "unknown"
    flavors = ", ".join(p.flavors)
    attrs = (f'data-path="{esc(p.display)}" data-status="{st}" data-version="{esc(ver)}" '
             f'data-rules="{esc(rules)}" data-flavors="{esc(flavors)}" data-errors="{c["error"]}" '
             f'data-warnings="{c["warning"]}" data-notes="{c["note"]}"')
    prov_cells = prov_list = ""
    if registry:
        prov = p.provenance or {}
        attrs += "".join(f' data-{key}="{esc(prov.get(name) or "")}"'
                         for name, _, key, _ in PROV_COLUMNS)
        prov_cells = "".join(f'<td class="mono">{esc(prov.get(name) or "")}</td>'
                             for name, _, _, _ in PROV_COLUMNS)
        prov_list = _provenance(prov)
    worst_first = sorted(p.findings, key=lambda f: (-f.level, f.file or "", f.line or 0))
    details = "".join(_finding(f) for f in worst_first) or '<div class="s-clean">no findings</div>'
    tw = '<span class="tw">&#9656;</span>'
    cols = 7 + (len(PROV_COLUMNS) if registry else 0)
    return (f'<tbody class="pkg closed" {attrs}><tr class="row" tabindex="0" aria-expanded="false">'
            f'<td class="mono">{tw}{esc(p.display)}</td><td>{pill(st)}</td>{prov_cells}'
            f'<td class="mono">{esc(ver)}</td><td>{esc(flavors)}</td>'
            f'<td class="num">{c["error"]}</td><td class="num">{c["warning"]}</td>'
            f'<td class="num">{c["note"]}</td></tr>'
            f'<tr class="det"><td colspan="{cols}">{prov_list}{details}'
            f'<div class="hid"></div></td></tr></tbody>')


def _options(name: str, values: list[tuple[str, str]], label: str) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(text)}</option>' for v, text in values)
    return f'<select id="{name}" aria-label="{label}">{opts}</select>'


def _notes(report: Report) -> str:
    out = ""
    problems = list(report.notifications)
    if report.partial:
        from modelcheck.reporters import partial_message

        problems.insert(0, partial_message(report))
    if problems:
        items = "".join(f"<li>{esc(n)}</li>" for n in problems)
        out = f'<h2>Tool problems</h2><div class="notes"><ul>{items}</ul></div>'
    if report.notes:
        items = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
        out += f'<h2>Passed over</h2><div class="notes"><ul>{items}</ul></div>'
    return out


def _filters(report: Report, s: Summary, registry: bool) -> str:
    rules = [("", "all rules")] + [(r.code, f"{r.code} {r.name}") for r in s.rules]
    versions = [("", "all MLflow versions")] + [(v.version, v.version) for v in s.versions]
    levels = [("", "any level")] + [(lv, f"{lv} findings") for lv in STATUSES[:3]]
    levels.append(("clean", "clean packages"))
    out = (_options("flevel", levels, "level") + _options("frule", rules, "rule")
           + _options("fver", versions, "MLflow version"))
    if registry:
        models = sorted({(p.provenance or {}).get("model") or "" for p in report.packages} - {""})
        out += _options("fmodel", [("", "all models")] + [(m, m) for m in models], "model")
    return out


def _header_row(registry: bool) -> str:
    prov = "".join(sortable(label, key, kind=kind, desc=kind == "num")
                   for _, label, key, kind in PROV_COLUMNS) if registry else ""
    return ("<tr>" + sortable("package", "path") + sortable("status", "status", kind="rank")
            + prov + sortable("mlflow_version", "version") + sortable("flavors", "flavors")
            + sortable("errors", "errors", num=True) + sortable("warnings", "warnings", num=True)
            + sortable("notes", "notes", num=True) + "</tr>")


def render(report: Report, ctx) -> str:
    s = summarize(report)
    registry = any(p.provenance for p in report.packages)
    extra = (f" &middot; {report.suppressed} findings hidden by the baseline"
             if report.suppressed else "")
    hidden = {k: n for k, n in (getattr(ctx, "hidden", None) or {}).items() if n}
    if hidden:  # --show-level left them out of the report (the exit code counts them)
        extra += " &middot; " + ", ".join(f"{n} {esc(k)}s" for k, n in hidden.items())
        extra += " left out by --show-level"
    if report.partial:
        extra += f" &middot; <strong>partial: interrupted by {esc(report.interrupted)}</strong>"
    version = esc((report.invocation.tool_version if report.invocation else "") or __version__)
    packages = "".join(_package(p, registry) for p in report.packages)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>modelcheck report</title><style>{CSS}</style></head>
<body><header><h1>modelcheck report</h1>
<div class="sub">modelcheck {version} &middot; {s.packages} packages{extra}</div>
{sec.invocation(report, __version__)}
</header><main>
<h2>Totals</h2>{sec.cards(s)}
<h2>Packages by status</h2>{sec.bar(s)}
{_notes(report)}
{sec.registry(report) if registry else ""}
<div class="grid"><div><h2>Findings by rule</h2><div class="scroll">{sec.rule_table(s)}</div></div>
<div><h2>Packages by MLflow version</h2><div class="scroll">{sec.version_table(s)}</div></div>
</div>
<h2>Packages</h2>
<div class="filters"><input id="q" type="search" aria-label="search"
placeholder="filter: path, message, flavor, model...">{_filters(report, s, registry)}
<button id="expand" type="button">expand/collapse</button><span id="shown"></span></div>
<table id="pkgs"><thead>{_header_row(registry)}</thead>
{packages}</table>
</main><script>{JS}</script></body></html>
"""
