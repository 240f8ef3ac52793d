"""One self-contained HTML page for an audit of many packages.

No network: CSS and JS are inline, there are no fonts, images or scripts from elsewhere, and a
Content-Security-Policy forbids any fetch. Package content is hostile, so every string from a
package (paths, messages, fixes, versions, flavors) goes through :func:`html.escape`; the page
builds no markup from data at run time, its script only sorts, filters and shows rows.
"""

from __future__ import annotations

from html import escape

from modelcheck.reporters.summary import STATUSES, Summary, status, summarize
from modelcheck.results import Finding, PackageResult, Report
from modelcheck.version import __version__

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

CSS = """
:root{--err:#c62828;--warn:#b26a00;--note:#1565c0;--ok:#2e7d32;--bd:#d0d7de;--mut:#57606a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 24px}
header h1{font-size:20px;margin:0}header .sub{color:#c9d1d9;font-size:13px}
main{padding:16px 24px;max-width:1400px}
h2{font-size:16px;margin:22px 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--bd);border-radius:6px;padding:10px 16px;
min-width:120px}
.card .n{font-size:24px;font-weight:600}.card .l{color:var(--mut);font-size:12px}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:10px 0;
background:#eaeef2;max-width:700px}
.bar span{display:block;height:100%}
.s-error{color:var(--err)}.s-warning{color:var(--warn)}.s-note{color:var(--note)}
.s-clean{color:var(--ok)}
.b-error{background:var(--err)}.b-warning{background:var(--warn)}.b-note{background:var(--note)}
.b-clean{background:var(--ok)}
.grid{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.scroll{max-height:360px;overflow:auto;border:1px solid var(--bd)}
.scroll table{border:0}.scroll thead th{position:sticky;top:0;z-index:1}
table{border-collapse:collapse;background:#fff;border:1px solid var(--bd)}
th,td{padding:5px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right}
tr.pick{cursor:pointer}tr.pick:hover{background:#f3f6fa}
#pkgs{width:100%}
#pkgs th[data-key]{cursor:pointer;user-select:none}
#pkgs th[data-key]::after{content:" \\2195";color:#8c959f}
#pkgs th.asc::after{content:" \\2191";color:#1f2328}
#pkgs th.desc::after{content:" \\2193";color:#1f2328}
tbody.pkg tr.row{cursor:pointer}tbody.pkg tr.row:hover{background:#f3f6fa}
tbody.pkg tr.det td{background:#fbfcfd;padding:0 10px 8px 34px}
tbody.pkg.closed tr.det{display:none}
.tw{display:inline-block;width:14px;color:#8c959f}
tbody.pkg:not(.closed) .tw{transform:rotate(90deg)}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
color:#fff}
.find{margin:6px 0;padding:6px 8px;border-left:3px solid var(--bd);background:#fff}
.find.l-error{border-color:var(--err)}.find.l-warning{border-color:var(--warn)}
.find.l-note{border-color:var(--note)}
.find .where{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:var(--mut)}
.find .msg{white-space:pre-wrap;word-break:break-word}
.find .fix{color:var(--mut);white-space:pre-wrap}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}
.filters input,.filters select{font:inherit;padding:4px 6px;border:1px solid var(--bd);
border-radius:4px;background:#fff}
.filters input{min-width:280px}
#shown{color:var(--mut)}
.notes{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px}
"""

JS = """
(function(){
var tbl=document.getElementById('pkgs'),bodies=[].slice.call(tbl.tBodies);
var q=document.getElementById('q'),fs=document.getElementById('fstatus'),
fr=document.getElementById('frule'),fv=document.getElementById('fver'),
shown=document.getElementById('shown');
var rank={error:0,warning:1,note:2,clean:3};
function apply(){
 var t=q.value.trim().toLowerCase(),s=fs.value,r=fr.value,v=fv.value,n=0;
 bodies.forEach(function(b){
  var ok=(!s||b.dataset.status===s)&&(!r||(' '+b.dataset.rules+' ').indexOf(' '+r+' ')>=0)
   &&(!v||b.dataset.version===v)&&(!t||b.textContent.toLowerCase().indexOf(t)>=0);
  b.hidden=!ok;if(ok)n++;});
 shown.textContent=n+' of '+bodies.length+' packages shown';}
[q,fs,fr,fv].forEach(function(e){e.addEventListener('input',apply);
 e.addEventListener('change',apply);});
bodies.forEach(function(b){b.rows[0].addEventListener('click',function(){
 b.classList.toggle('closed');});});
[].slice.call(tbl.tHead.rows[0].cells).forEach(function(th){
 var key=th.dataset.key;if(!key)return;
 th.addEventListener('click',function(){
  var asc=!th.classList.contains('asc');
  [].slice.call(th.parentNode.cells).forEach(function(c){c.classList.remove('asc','desc');});
  th.classList.add(asc?'asc':'desc');
  var num=th.dataset.type==='num';
  bodies.sort(function(a,b){var x=a.dataset[key],y=b.dataset[key],c;
   if(key==='status'){c=rank[x]-rank[y];}
   else if(num){c=Number(x)-Number(y);}
   else{c=x.localeCompare(y,undefined,{numeric:true});}
   if(c===0)c=a.dataset.path.localeCompare(b.dataset.path);
   return asc?c:-c;});
  bodies.forEach(function(b){tbl.appendChild(b);});});});
[].slice.call(document.querySelectorAll('tr.pick')).forEach(function(tr){
 tr.addEventListener('click',function(){var sel=document.getElementById(tr.dataset.sel);
  sel.value=tr.dataset.val;apply();tbl.scrollIntoView();});});
document.getElementById('expand').addEventListener('click',function(){
 var open=bodies.some(function(b){return b.classList.contains('closed')&&!b.hidden;});
 bodies.forEach(function(b){if(!b.hidden)b.classList.toggle('closed',!open);});});
apply();
})();
"""


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def _pill(level: str) -> str:
    return f'<span class="pill b-{_e(level)}">{_e(level)}</span>'


def _finding(f: Finding) -> str:
    where = _e(f.file or "(package)")
    if f.line:
        where += f":{f.line}" + (f":{f.col}" if f.col else "")
    if f.pointer:
        where += f" &middot; {_e(f.pointer)}"
    fix = f'<div class="fix">fix: {_e(f.fix)}</div>' if f.fix else ""
    return (f'<div class="find l-{_e(f.level)}">{_pill(str(f.level))} '
            f'<b class="mono">{_e(f.code)}</b> <span class="mono">{_e(f.name)}</span> '
            f'<span class="where">{where}</span>'
            f'<div class="msg">{_e(f.message)}</div>{fix}</div>')


def _package(p: PackageResult) -> str:
    st = status(p)
    c = {"error": 0, "warning": 0, "note": 0}
    for f in p.findings:
        c[str(f.level)] += 1
    rules = " ".join(sorted({f.code for f in p.findings}))
    ver = p.mlflow_version or "unknown"
    flavors = ", ".join(p.flavors)
    attrs = (f'data-path="{_e(p.display)}" data-status="{st}" data-version="{_e(ver)}" '
             f'data-rules="{_e(rules)}" data-flavors="{_e(flavors)}" data-errors="{c["error"]}" '
             f'data-warnings="{c["warning"]}" data-notes="{c["note"]}"')
    worst_first = sorted(p.findings, key=lambda f: (-f.level, f.file or "", f.line or 0))
    details = "".join(_finding(f) for f in worst_first) or '<div class="s-clean">no findings</div>'
    tw = '<span class="tw">&#9656;</span>'
    return (f'<tbody class="pkg closed" {attrs}><tr class="row">'
            f'<td class="mono">{tw}{_e(p.display)}</td><td>{_pill(st)}</td>'
            f'<td class="mono">{_e(ver)}</td><td>{_e(flavors)}</td>'
            f'<td class="num">{c["error"]}</td><td class="num">{c["warning"]}</td>'
            f'<td class="num">{c["note"]}</td></tr>'
            f'<tr class="det"><td colspan="7">{details}</td></tr></tbody>')


def _cards(s: Summary) -> str:
    cards = [(s.packages, "packages", "")]
    cards += [(s.by_status[st], f"{st} packages" if st != "clean" else "clean packages",
               f"s-{st}") for st in STATUSES]
    cards += [(s.counts[lv], f"{lv}s", f"s-{lv}") for lv in ("error", "warning", "note")]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="n {cls}">{n}</div><div class="l">{_e(label)}</div></div>'
        for n, label, cls in cards) + "</div>"


def _bar(s: Summary) -> str:
    if not s.packages:
        return ""
    spans = "".join(
        f'<span class="b-{st}" style="width:{100 * s.by_status[st] / s.packages:.3f}%" '
        f'title="{st}: {s.by_status[st]}"></span>' for st in STATUSES if s.by_status[st])
    legend = " &middot; ".join(f'<span class="s-{st}">{st}: {s.by_status[st]}</span>'
                               for st in STATUSES)
    return f'<div class="bar">{spans}</div><div>{legend}</div>'


def _rule_table(s: Summary) -> str:
    if not s.rules:
        return "<p>No findings.</p>"
    rows = "".join(
        f'<tr class="pick" data-sel="frule" data-val="{_e(r.code)}">'
        f'<td class="mono">{_e(r.code)}</td><td class="mono">{_e(r.name)}</td>'
        f'<td>{_pill(r.level)}</td><td class="num">{r.findings}</td>'
        f'<td class="num">{len(r.packages)}</td></tr>' for r in s.rules)
    return ('<table id="rules"><thead><tr><th>rule</th><th>name</th><th>level</th>'
            '<th class="num">findings</th><th class="num">packages</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _version_table(s: Summary) -> str:
    rows = "".join(
        f'<tr class="pick" data-sel="fver" data-val="{_e(v.version)}">'
        f'<td class="mono">{_e(v.version)}</td><td class="num">{v.packages}</td>'
        + "".join(f'<td class="num s-{st}">{v.by_status[st]}</td>' for st in STATUSES)
        + f'<td class="num">{v.findings}</td></tr>' for v in s.versions)
    head = "".join(f'<th class="num">{st}</th>' for st in STATUSES)
    return ('<table id="versions"><thead><tr><th>mlflow_version</th>'
            f'<th class="num">packages</th>{head}<th class="num">findings</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _options(values: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{_e(v)}">{_e(label)}</option>' for v, label in values)


def render(report: Report, ctx) -> str:
    s = summarize(report)
    rule_opts = _options([("", "all rules")] + [(r.code, f"{r.code} {r.name}") for r in s.rules])
    ver_opts = _options([("", "all MLflow versions")] + [(v.version, v.version)
                                                         for v in s.versions])
    st_opts = _options([("", "any status")] + [(st, st) for st in STATUSES])
    notes = ""
    problems = list(report.notifications)
    if report.partial:
        from modelcheck.reporters import partial_message

        problems.insert(0, partial_message(report))
    if problems:
        items = "".join(f"<li>{_e(n)}</li>" for n in problems)
        notes = f'<h2>Tool problems</h2><div class="notes"><ul>{items}</ul></div>'
    if report.notes:
        items = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
        notes += f'<h2>Passed over</h2><div class="notes"><ul>{items}</ul></div>'
    suppressed = (f" &middot; {report.suppressed} findings hidden by the baseline"
                  if report.suppressed else "")
    packages = "".join(_package(p) for p in report.packages)
    if report.partial:
        suppressed += (f" &middot; <strong>partial: interrupted by "
                       f"{_e(report.interrupted)}</strong>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>modelcheck report</title><style>{CSS}</style></head>
<body><header><h1>modelcheck report</h1>
<div class="sub">modelcheck {_e(__version__)} &middot; {s.packages} packages{suppressed}</div>
</header><main>
<h2>Totals</h2>{_cards(s)}
<h2>Packages by status</h2>{_bar(s)}
{notes}
<div class="grid"><div><h2>Findings by rule</h2><div class="scroll">{_rule_table(s)}</div></div>
<div><h2>Packages by MLflow version</h2><div class="scroll">{_version_table(s)}</div></div>
</div>
<h2>Packages</h2>
<div class="filters"><input id="q" type="search" placeholder="filter: path, message, flavor...">
<select id="fstatus">{st_opts}</select><select id="frule">{rule_opts}</select>
<select id="fver">{ver_opts}</select><button id="expand" type="button">expand/collapse</button>
<span id="shown"></span></div>
<table id="pkgs"><thead><tr><th data-key="path">package</th><th data-key="status">status</th>
<th data-key="version">mlflow_version</th><th data-key="flavors">flavors</th>
<th class="num" data-key="errors" data-type="num">errors</th>
<th class="num" data-key="warnings" data-type="num">warnings</th>
<th class="num" data-key="notes" data-type="num">notes</th></tr></thead>
{packages}</table>
</main><script>{JS}</script></body></html>
"""
