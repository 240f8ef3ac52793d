"""GitHub Actions workflow commands (``::error file=…,line=…::message``)."""

from __future__ import annotations

from modelcheck.results import Level, Report

_CMD = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, ctx) -> str:
    lines = []
    for f in report.findings:
        props = [f"file={_prop(f.path)}"]
        if f.line:
            props.append(f"line={f.line}")
            if f.col:
                props.append(f"col={f.col}")
        props.append(f"title={_prop(f'{f.code} {f.name}')}")
        msg = f.message + (f"\nfix: {f.fix}" if f.fix else "")
        lines.append(f"::{_CMD[f.level]} {','.join(props)}::{_data(msg)}")
    if report.partial:
        from modelcheck.reporters import partial_message

        lines.append(f"::error title=modelcheck::{_data(partial_message(report))}")
    for n in report.notifications:
        if not any(n in f.message for f in report.findings):
            lines.append(f"::error title=modelcheck::{_data(n)}")
    lines += [f"::notice title=modelcheck::{_data(n)}" for n in report.notes]
    return "\n".join(lines) + ("\n" if lines else "")
