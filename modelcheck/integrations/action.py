"""The GitHub Action's script: ``python -m modelcheck.integrations.action`` (see ``action.yml``).

Inputs come from ``INPUT_*`` environment variables (set by the action's ``env:``, never pasted
into a script). One check produces: workflow annotations on stdout, a SARIF file for
``github/codeql-action/upload-sarif``, an optional HTML page, a Markdown report appended to
``$GITHUB_STEP_SUMMARY``, step outputs in ``$GITHUB_OUTPUT``, and the exit code (0 clean, 1
findings at or above fail-on, 2 usage or tool error) that fails the job.
"""

from __future__ import annotations

import os
import shlex
import sys
import uuid
from collections.abc import Mapping

TRUE = {"true", "yes", "1", "on"}
FALSE = {"false", "no", "0", "off", ""}


class InputError(ValueError):
    pass


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    v = raw.strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise InputError(f"input {name[6:].lower().replace('_', '-')} must be true or false, "
                     f"got {raw!r}")


def build_argv(env: Mapping[str, str]) -> list[str]:
    """The ``modelcheck check`` command line the inputs describe (no shell involved)."""
    try:
        paths = shlex.split(env.get("INPUT_PATHS", ".")) or ["."]
        extra = shlex.split(env.get("INPUT_ARGS", ""))
    except ValueError as exc:
        raise InputError(f"cannot split paths/args: {exc}") from exc
    argv = ["check"]
    for opt, name in (("--select", "INPUT_SELECT"), ("--ignore", "INPUT_IGNORE"),
                      ("--fail-on", "INPUT_FAIL_ON"), ("--config", "INPUT_CONFIG")):
        value = env.get(name, "").strip()
        if value:
            argv += [opt, value]
    return argv + extra + ["--no-progress", "--", *paths]


# options of `modelcheck check` the Action cannot honour: it writes its own reports (the
# sarif-file, html-file, annotations and summary inputs), and checks paths, not changed files
UNHONOURED = (
    ("format", "-f/--format", "the Action writes its own reports: use the sarif-file and "
                              "html-file inputs"),
    ("output", "-o/--output", "use the sarif-file and html-file inputs"),
    ("hook", "--hook", "the Action checks the paths input; use pre-commit for changed files"),
    ("statistics", "--statistics", "the job summary counts findings by rule"),
    ("write_baseline", "--write-baseline", "write the baseline locally and commit it"),
    ("show_settings", "--show-settings", "run modelcheck locally to see the settings"),
    ("show_files", "--show-files", "run modelcheck locally to list the packages"),
)


def refuse_unhonoured(args) -> None:
    """Raise InputError for options in the args input the Action would otherwise ignore."""
    for attr, opt, instead in UNHONOURED:
        if getattr(args, attr, None):
            raise InputError(f"the args input holds {opt}, which the Action cannot honour: "
                             f"{instead}")


def _set_outputs(path: str | None, values: dict[str, object]) -> None:
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for k, v in values.items():
            text = str(v)
            if "\n" in text or "\r" in text:
                delim = f"ghadelimiter_{uuid.uuid4()}"
                fh.write(f"{k}<<{delim}\n{text}\n{delim}\n")
            else:
                fh.write(f"{k}={text}\n")


def _write(path: str, text: str) -> None:
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def run(env: Mapping[str, str] | None = None) -> int:
    """One check as the Action's step; SIGINT/SIGTERM (a cancelled job) stop the scan, and the
    reports are written with the packages checked before it, marked partial."""
    from modelcheck import cli

    with cli.Signals() as signals:
        return _run(env, signals)


def _run(env: Mapping[str, str] | None, signals) -> int:
    from modelcheck import cli
    from modelcheck.api import check
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError
    from modelcheck.reporters import Context, render, shown
    from modelcheck.results import Interrupted, Report

    env = os.environ if env is None else env
    outputs: dict[str, object] = {"exit-code": 2, "sarif-file": ""}
    try:
        annotations = _flag(env, "INPUT_ANNOTATIONS", True)
        summary = _flag(env, "INPUT_SUMMARY", True)
        argv = build_argv(env)
        try:
            args = cli.build_parser().parse_args(argv)
        except (SystemExit, cli.UsageError) as exc:
            why = f": {exc}" if isinstance(exc, cli.UsageError) else ""
            raise InputError("invalid modelcheck options in the args/select/ignore/fail-on "
                             f"inputs ({shlex.join(argv[1:])}){why}") from None
        refuse_unhonoured(args)
        settings = cli.settings_of(args)
        try:
            report = check(args.targets, settings)
        except Interrupted as exc:  # the job was cancelled: report what finished
            report = exc.report if exc.report is not None else Report(interrupted=exc.signal)
        signals.writing = True  # a signal from here on waits until the reports are written
    except (InputError, ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"::error title=modelcheck::{cli_escape(str(exc))}")
        _set_outputs(env.get("GITHUB_OUTPUT"), outputs)
        return 2

    # --show-level (args input or config) leaves lower findings out of what is shown, as on
    # the command line; the exit code and the count outputs are worked out on every finding
    full = report
    report, hidden = shown(full, settings.show_level)
    ctx = Context(hidden=hidden)
    if annotations:
        sys.stdout.write(render("github", report, ctx))
    sys.stdout.write(render("text", report, Context(quiet=True, hidden=hidden)))
    sarif = env.get("INPUT_SARIF_FILE", "").strip()
    if sarif:
        _write(sarif, render("sarif", report, ctx))
        outputs["sarif-file"] = sarif
    html = env.get("INPUT_HTML_FILE", "").strip()
    if html:
        _write(html, render("html", report, ctx))
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if summary and step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(render("markdown", report, ctx))

    report = full
    code = report.exit_code(settings.fail_on)
    if report.partial:
        print(f"::error title=modelcheck::{cli_escape('interrupted by ' + str(report.interrupted))}"
              ": the reports are partial")
    if args.exit_zero and code == 1:
        code = 0
    counts = report.counts()
    outputs.update({
        "exit-code": code, **{f"{k}s": v for k, v in counts.items()},
        "packages": len(report.packages),
        "packages-with-findings": sum(1 for p in report.packages if p.findings),
    })
    _set_outputs(env.get("GITHUB_OUTPUT"), outputs)
    return code


def cli_escape(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(run())
