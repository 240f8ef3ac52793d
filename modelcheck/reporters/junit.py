"""JUnit XML for CI test views (Jenkins, GitLab, Azure Pipelines); valid against the JUnit
schema of Jenkins' xUnit plugin (tests/data/schemas/junit-10.xsd).

One ``testsuite`` per package, one ``testcase`` per rule that ran on it (named
``MC101 mlmodel-missing``, classname the package). A rule's findings at or above the run's
``fail_on`` level make one ``failure`` (JUnit viewers show the first failure of a case, so all
of them go in it, each with its file:line); findings below ``fail_on`` leave the case passing
and are listed in its ``system-out``. What modelcheck could not check is never a pass: a
target that could not be read has no rule cases, only an ``error``; a rule that crashed
(MC901) errors on its own case; rules a spent time budget kept from running (MC903) are
``skipped``; each MC9xx finding is an ``error``. A first suite, ``modelcheck``, carries the run
(tool version, times, targets, settings) as properties, and errors when the report is partial
or a tool failure belongs to no package. There is no timing per rule or package: cases and
suites carry no ``time``; the root carries the run's.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from modelcheck.reporters import invocation, partial_message
from modelcheck.reporters.registry import fail_level
from modelcheck.results import TOOL_CODES, Finding, Level, PackageResult, Report

# characters XML 1.0 cannot hold (package content is hostile: a message may quote them)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CODE = re.compile(r"\bMC\d{3}\b")
MAX_ATTR = 500  # a failure's message attribute: the first line, shortened


def _text(s: object) -> str:
    return (_NOT_XML.sub("\ufffd", str(s)).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _attr(s: object) -> str:
    return ('"' + _text(s).replace('"', "&quot;").replace("\n", "&#10;")
            .replace("\r", "&#13;").replace("\t", "&#9;") + '"')


def _short(s: str) -> str:
    line = s.split("\n", 1)[0]
    return line if len(line) <= MAX_ATTR else line[: MAX_ATTR - 1] + "…"


def _where(f: Finding) -> str:
    s = f.path
    if f.line:
        s += f":{f.line}" + (f":{f.col}" if f.col else "")
    return s


def _detail(f: Finding) -> str:
    return (f"{_where(f)}: {f.code} {f.level}: {f.message}"
            + (f"\n    fix: {f.fix}" if f.fix else ""))


def _case(name: str, classname: str, body: str = "", first: Finding | None = None) -> str:
    # no file/line attributes: Jenkins' schema (junit-10.xsd) allows neither on a testcase;
    # the failure's message and text name file:line instead
    attrs = f"name={_attr(name)} classname={_attr(classname)}"
    return f"    <testcase {attrs}>{body}</testcase>\n" if body else \
        f"    <testcase {attrs}/>\n"


def _outcome(tag: str, kind: str, message: str, details: str) -> str:
    return f"<{tag} type={_attr(kind)} message={_attr(_short(message))}>{_text(details)}</{tag}>"


def _out(findings: list[Finding]) -> str:
    return ("<system-out>" + _text("\n".join(_detail(f) for f in findings)) + "</system-out>"
            if findings else "")


def _properties(props: list[tuple[str, str]]) -> str:
    if not props:
        return ""
    inner = "".join(f"      <property name={_attr(k)} value={_attr(v)}/>\n" for k, v in props)
    return f"    <properties>\n{inner}    </properties>\n"


class _Counts:
    def __init__(self) -> None:
        self.tests = self.failures = self.errors = self.skipped = 0

    def attrs(self) -> str:
        return (f'tests="{self.tests}" failures="{self.failures}" errors="{self.errors}" '
                f'skipped="{self.skipped}"')


def _package(p: PackageResult, report: Report, fail_on: Level, total: _Counts,
             timestamp: str) -> str:
    c = _Counts()
    cases: list[str] = []
    by_code: dict[str, list[Finding]] = {}
    for f in p.findings:
        by_code.setdefault(f.code, []).append(f)
    tool = {code: by_code.pop(code) for code in sorted(TOOL_CODES) if code in by_code}
    crashed = {f.key for f in tool.get("MC901", ()) if f.key}
    not_run: set[str] = set()
    for f in tool.get("MC903", ()):
        not_run.update(_CODE.findall(f.message.rsplit("did not run:", 1)[-1]))
    # a target that could not be read at all (no rule ran): MC902 for the package, no key
    unread = any(f.key is None and not f.file for f in tool.get("MC902", ()))
    names = {code: r.meta.name for code, r in report.rules.items() if code not in TOOL_CODES}
    for code, fs in by_code.items():
        names.setdefault(code, fs[0].name)
    for code in ([] if unread else sorted(names)):
        name = f"{code} {names[code]}"
        fs = by_code.get(code, [])
        failing = [f for f in fs if f.level >= fail_on]
        below = [f for f in fs if f.level < fail_on]
        c.tests += 1
        if code in crashed:
            crash = next(f for f in tool["MC901"] if f.key == code)
            c.errors += 1
            body = _outcome("error", "MC901", crash.message, _detail(crash)) + _out(fs)
            cases.append(_case(name, p.display, body))
        elif code in not_run and not fs:
            c.skipped += 1
            cases.append(_case(name, p.display, _outcome(
                "skipped", "MC903", "did not run: the package's time budget was spent", "")))
        elif failing:
            c.failures += 1
            n = len(failing)
            msg = failing[0].message if n == 1 else f"{n} findings; first: {failing[0].message}"
            body = _outcome("failure", code, f"{_where(failing[0])}: {msg}",
                            "\n".join(_detail(f) for f in failing)) + _out(below)
            cases.append(_case(name, p.display, body, failing[0]))
        else:
            cases.append(_case(name, p.display, _out(below)))
    for code, fs in tool.items():
        for f in fs:
            c.tests += 1
            c.errors += 1
            body = _outcome("error", code, f"{_where(f)}: {f.message}", _detail(f))
            cases.append(_case(f"{code} {f.name}", p.display, body, f))
    props = [("mlflow_version", p.mlflow_version or ""), ("flavors", ",".join(p.flavors))]
    props += [(f"provenance.{k}", str(v)) for k, v in sorted((p.provenance or {}).items())]
    for attr in ("tests", "failures", "errors", "skipped"):
        setattr(total, attr, getattr(total, attr) + getattr(c, attr))
    stamp = f" timestamp={_attr(timestamp)}" if timestamp else ""
    return (f"  <testsuite name={_attr(p.display)} {c.attrs()}{stamp}>\n"
            f"{_properties(props)}{''.join(cases)}  </testsuite>\n")


def _run_suite(report: Report, total: _Counts, timestamp: str) -> str:
    """The run itself: its invocation as properties; one case that errors when the report is
    partial or a tool failure is tied to no package."""
    inv = invocation(report)
    props: list[tuple[str, str]] = []
    if inv is not None:
        props += [("modelcheck.version", inv["tool_version"]), ("started", inv["started"]),
                  ("finished", inv["finished"])]
        props += [("target", t) for t in inv["targets"]]
        props += [(f"settings.{k}", json.dumps(v, ensure_ascii=False))
                  for k, v in inv["settings"].items()]
    if report.suppressed:
        props.append(("suppressed_by_baseline", str(report.suppressed)))
    problems = [partial_message(report)] if report.partial else []
    messages = {f.message for f in report.findings if f.code in TOOL_CODES}
    problems += [n for n in report.notifications
                 if n not in messages and not any(n in m for m in messages)]
    c = _Counts()
    c.tests = 1
    body = ""
    if problems:
        c.errors = 1
        body = _outcome("error", "modelcheck", problems[0], "\n".join(problems))
    if report.notes:
        body += _out_text(report.notes)
    total.tests += 1
    total.errors += c.errors
    stamp = f" timestamp={_attr(timestamp)}" if timestamp else ""
    return (f"  <testsuite name=\"modelcheck\" {c.attrs()}{stamp}>\n{_properties(props)}"
            f"{_case('run', 'modelcheck', body)}  </testsuite>\n")


def _out_text(lines: list[str]) -> str:
    return "<system-out>" + _text("\n".join(f"note: {n}" for n in lines)) + "</system-out>"


def _seconds(inv) -> str:
    try:
        start = datetime.fromisoformat(inv.started.replace("Z", "+00:00"))
        end = datetime.fromisoformat(inv.finished.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return ""
    return f' time="{max(0.0, (end - start).total_seconds()):g}"'


def render(report: Report, ctx) -> str:
    fail_on = fail_level(report)
    timestamp = report.invocation.started if report.invocation is not None else ""
    total = _Counts()
    suites = [_run_suite(report, total, timestamp)]
    suites += [_package(p, report, fail_on, total, timestamp) for p in report.packages]
    time = _seconds(report.invocation) if report.invocation is not None else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="modelcheck" tests="{total.tests}" failures="{total.failures}" '
            f'errors="{total.errors}"{time}>\n' + "".join(suites) + "</testsuites>\n")
