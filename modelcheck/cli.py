"""Command line: ``modelcheck [check] PATH...``, ``modelcheck rules``, ``modelcheck rule CODE``.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage/config error or the tool
could not do its job (unreadable target, rule crash); 130/143 stopped by SIGINT/SIGTERM (the
reports asked for are written with the packages checked before it, marked partial).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from modelcheck.version import __version__

COMMANDS = ("check", "rules", "rule")


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal width up front: left to itself it imports
    shutil (with bz2 and lzma) for it, and argparse makes a formatter for every argument it
    adds, so each check paid that import (~3% of a cold start) for help it never printed."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _columns() - 2)


def _columns() -> int:
    """Terminal columns as shutil.get_terminal_size finds them (COLUMNS, the tty, else 80)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (what was wrong, and where help is)."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


class UsageError(ValueError):
    """A command line, config or input that cannot be honoured: exit 2, one line."""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="modelcheck", formatter_class=_Formatter,
        description="Static validator and linter for MLflow model packages.",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or tool error, "
               "130/143 interrupted (SIGINT/SIGTERM; the reports written are partial).",
    )
    p.add_argument("--version", action="version", version=f"modelcheck {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    c = sub.add_parser("check", help="check packages (the default command)",
                       formatter_class=_Formatter)
    c.add_argument("targets", nargs="*", default=["."], metavar="PATH",
                   help="package dirs, MLmodel files, files inside packages, trees, or URLs")
    c.add_argument("-f", "--format", default=None,
                   help="text (default), json, sarif, github, html, markdown")
    c.add_argument("-o", "--output", action="append", default=[], metavar="[FORMAT=]FILE",
                   help="write the -f report to FILE instead of stdout (once); FORMAT=FILE "
                        "(repeatable) writes another report; the folder must exist")
    c.add_argument("--select", default=None, help="comma-separated code prefixes to enable")
    c.add_argument("--extend-select", default=None, help="prefixes enabled on top of select")
    c.add_argument("--ignore", default=None, help="comma-separated code prefixes to disable")
    c.add_argument("--fail-on", default=None, choices=("error", "warning", "note"),
                   help="lowest level that fails the run (default: error)")
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument("--baseline", default=None, metavar="FILE", help="hide findings in FILE")
    c.add_argument("--write-baseline", default=None, metavar="FILE",
                   help="record current findings in FILE and exit 0")
    c.add_argument("--config", default=None, metavar="FILE",
                   help="config file (default: modelcheck.toml or pyproject.toml with "
                        "[tool.modelcheck], searched upward from the targets)")
    c.add_argument("--show-settings", action="store_true",
                   help="print the settings in effect and the file they came from; check nothing")
    c.add_argument("--show-files", action="store_true",
                   help="list the packages that would be checked; check nothing")
    c.add_argument("--jobs", "-j", type=int, default=None,
                   help="local trees: worker processes (default 0: one per core, plus one to "
                        "keep the cores busy while another waits on the disk); buckets: "
                        "packages fetched at once (default 16)")
    c.add_argument("--statistics", action="store_true", help="count findings per rule")
    c.add_argument("-q", "--quiet", action="store_true", help="only findings and the summary")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="fsspec storage option for remote targets (repeatable)")
    c.add_argument("--max-pickle-bytes", type=int, default=None,
                   help="largest pickle or skops file read from a remote package (more than 0); "
                        "local files are memory-mapped and scanned whatever their size")
    c.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    c.add_argument("--package-timeout", type=float, default=None, metavar="SECONDS",
                   help="time budget per package (default 60; 0 disables)")
    c.add_argument("--hook", action="store_true",
                   help="pre-commit mode: PATHs are changed files; files outside any model "
                        "package are skipped, and no file left to check is a pass")

    sub.add_parser("rules", help="list every rule", formatter_class=_Formatter)
    r = sub.add_parser("rule", help="show one rule's documentation", formatter_class=_Formatter)
    r.add_argument("code")
    return p


def _split(v: str | None) -> list[str] | None:
    return None if v is None else [x.strip().upper() for x in v.split(",") if x.strip()]


def _want_color(mode: str, stream) -> bool:
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _cmd_rules() -> int:
    from modelcheck.engine.registry import all_rules

    for code, r in all_rules().items():
        print(f"{code}  {r.meta.level!s:<7}  {r.meta.name:<38}  {r.meta.summary}")
    return 0


def _cmd_rule(code: str) -> int:
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.settings import code_problem

    rules = all_rules()
    r = rules.get(code.upper())
    if r is None:
        group = [c for c in rules if c.startswith(code.upper())]
        if group:
            more = f"; codes that start with it: {', '.join(group[:8])}"
            more += ", ..." if len(group) > 8 else ""
        else:
            problem = code_problem(code.upper(), list(rules), "rule") or ""
            more = problem[problem.index("; did you"):problem.index("?") + 1] \
                if "; did you" in problem else ""
        print(f"modelcheck: no rule {code!r}{more} (see 'modelcheck rules')", file=sys.stderr)
        return 2
    m = r.meta
    print(f"{m.code} {m.name} (default level: {m.level})")
    if m.tags:
        print(f"tags: {', '.join(m.tags)}")
    print()
    print(m.doc)
    return 0


# -- settings --------------------------------------------------------------------------------

def _settings(args):
    """The settings of a ``check``: the config found from the targets (or ``--config``), the
    command line on top, validated against the registered rules before any work."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.settings import config_for_targets, load_settings, validate
    from modelcheck.results import Level

    path = config_for_targets(list(args.targets), args.config)
    s = load_settings(".", path) if path else load_settings(os.devnull + "/none")
    for attr, opt in (("select", "--select"), ("extend_select", "--extend-select"),
                      ("ignore", "--ignore")):
        v = _split(getattr(args, attr))
        if v is not None:
            setattr(s, attr, v)
            s.origins[attr] = opt
    if args.fail_on:
        s.fail_on = Level.parse(args.fail_on)
        s.origins["fail_on"] = "--fail-on"
    if args.baseline:
        s.baseline = args.baseline
        s.origins["baseline"] = "--baseline"
    if args.write_baseline:
        s.baseline = None
    for attr, opt in (("jobs", "--jobs"), ("package_timeout", "--package-timeout"),
                      ("max_pickle_bytes", "--max-pickle-bytes")):
        v = getattr(args, attr)
        if v is not None:
            setattr(s, attr, v)
            s.origins[attr] = opt
    for kv in args.storage_option:
        if "=" not in kv:
            raise UsageError(f"--storage-option expects KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        s.storage_options[k] = v
        s.origins["storage_options"] = "--storage-option"
    validate(s, list(all_rules()))
    return s


_SHOWN = (("select", "select"), ("extend-select", "extend_select"), ("ignore", "ignore"),
          ("per-path-ignores", "per_path_ignores"), ("severity", "severity"),
          ("fail-on", "fail_on"), ("exclude", "exclude"), ("baseline", "baseline"),
          ("jobs", "jobs"), ("package-timeout", "package_timeout"),
          ("max-file-bytes", "text_cap"), ("max-pickle-bytes", "max_pickle_bytes"),
          ("max-package-read-bytes", "package_read_bytes"),
          ("storage-options", "storage_options"))


def _show_settings(s) -> int:
    import json

    where = os.path.abspath(s.config_path) if s.config_path else "none (defaults)"
    print(f"# config: {where}")
    for key, attr in _SHOWN:
        v = getattr(s, attr)
        v = str(v) if attr == "fail_on" else v
        print(f"{key} = {json.dumps(v)}  # {s.origins.get(attr, 'default')}")
    return 0


def _show_files(targets: list[str], settings) -> int:
    """The packages a check would check, one per line (excluded ones left out)."""
    from modelcheck.sources.discovery import discover

    local = [t for t in targets if not _is_remote(t)]
    found, errors = discover(local)
    shown = [t.display for t in found if not settings.excluded(t.display)]
    for t in targets:
        if _is_remote(t):
            from modelcheck.scan.remote import plan
            from modelcheck.sources.plan import TargetFailed

            try:
                shown += [j.display for j in plan(t, settings)
                          if not settings.excluded(j.display)]
            except TargetFailed as exc:
                errors.append(f"{t}: {exc}")
    for d in shown:
        print(d)
    for msg in errors:
        print(f"modelcheck: {msg}", file=sys.stderr)
    return 2 if errors else 0


def _is_remote(target: str) -> bool:
    return "://" in target or target.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


# -- outputs ---------------------------------------------------------------------------------

_FORMAT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _unknown_format(fmt: str, where: str) -> UsageError:
    import difflib

    from modelcheck.reporters import FORMATS

    close = difflib.get_close_matches(fmt.lower(), list(FORMATS), n=2, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return UsageError(f"unknown format {fmt!r} in {where}{hint} (formats: "
                      f"{', '.join(FORMATS)})")


def _outputs(args) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) for every report asked for, checked before any work:
    known formats, one ``-o FILE`` for the ``-f`` report, no file named twice, and folders
    that exist."""
    from modelcheck.reporters import FORMATS

    fmt = args.format or "text"
    if fmt not in FORMATS:
        raise _unknown_format(fmt, f"-f/--format {fmt}")
    plain: list[str] = []
    extra: list[tuple[str, str]] = []
    for o in args.output:
        prefix, eq, path = o.partition("=")
        if eq and prefix in FORMATS:
            extra.append((prefix, path))
        elif eq and _FORMAT_WORD.fullmatch(prefix):
            raise _unknown_format(prefix, f"-o {o}")
        else:
            plain.append(o)
    if len(plain) > 1:
        raise UsageError(
            f"-o given {len(plain)} times for the {fmt} report ({', '.join(plain)}); give one "
            "-o FILE, and FORMAT=FILE for each further report (-o json=report.json)")
    outputs: list[tuple[str, str | None]] = [(fmt, plain[0] if plain else None)]
    outputs += extra
    seen: dict[str, str] = {}
    for f, path in outputs:
        if path is None:
            continue
        shown = f"-o {path}" if f == fmt and plain and path == plain[0] else f"-o {f}={path}"
        if not path:
            raise UsageError(f"{shown}: empty file name")
        real = os.path.realpath(path)
        if real in seen:
            raise UsageError(f"{shown}: the same file as {seen[real]}; each report needs its "
                             "own file")
        seen[real] = shown
        folder = os.path.dirname(real)
        if os.path.isdir(real):
            raise UsageError(f"{shown}: is a folder; name a file")
        if not os.path.isdir(folder):
            raise UsageError(f"{shown}: folder {os.path.dirname(path) or '.'!r} does not "
                             "exist; create it first")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"{shown}: folder {os.path.dirname(path) or '.'!r} is not "
                             "writable")
    return outputs


def _options_key(args) -> str:
    """The options of a hook invocation, without the files: what tells two hooks of one
    pre-commit run apart."""
    return repr(sorted((k, v) for k, v in vars(args).items() if k != "targets"))


def _write_reports(report, outputs, args, *, summary: bool = True) -> int:
    """Write every report: files first, then stdout (a reader that stops early, such as
    ``head``, must not keep the files from being written). 0, or 2 when a file could not be
    written."""
    from modelcheck.reporters import Context, render

    status = 0
    ordered = [o for o in outputs if o[1] is not None] + [o for o in outputs if o[1] is None]
    for f, path in ordered:
        stream = sys.stdout if path is None else None
        ctx = Context(color=_want_color(args.color, sys.stdout) if stream else False,
                      statistics=args.statistics, quiet=args.quiet,
                      summary=summary or stream is None)
        text = render(f, report, ctx)
        if stream is not None:
            _write_stdout(text)
            continue
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"modelcheck: cannot write the {f} report to {path}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            status = 2
    return status


def _write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()


def _stdout_gone() -> None:
    """The reader of stdout has gone (``| head``): say nothing more there, quietly."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError):
        pass


# -- signals ---------------------------------------------------------------------------------

class _Signals:
    """SIGINT and SIGTERM while a check runs: the first stops the scan (raises
    :class:`~modelcheck.results.Interrupted` in the main thread, where the scan stops its
    workers and keeps what finished); during the writing of reports it is held until they are
    written; a second one quits at once."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self.writing = False
        self._old: dict[int, object] = {}

    # the C module: `signal` itself builds three enums at import (~1% of a cold check)
    def __enter__(self) -> _Signals:
        import _signal

        for sig in (_signal.SIGINT, _signal.SIGTERM):
            try:
                self._old[sig] = _signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: the scan runs without handlers
                break
        return self

    def __exit__(self, *exc: object) -> None:
        import _signal

        for sig, old in self._old.items():
            _signal.signal(sig, old)

    def _handle(self, signum: int, frame: object) -> None:
        import _signal

        name = "SIGTERM" if signum == _signal.SIGTERM else "SIGINT"
        if self.signal is not None:
            os.write(2, f"\nmodelcheck: {name} again: quitting now\n".encode())
            os._exit(128 + signum)
        self.signal = name
        if not self.writing:
            from modelcheck.results import Interrupted

            raise Interrupted(name)


def _interrupt_code(name: str | None) -> int:
    return 143 if name == "SIGTERM" else 130


# -- check -----------------------------------------------------------------------------------

def _cmd_check(args) -> int:
    with _Signals() as signals:
        return _check_with(args, signals)


def _check_with(args, signals: _Signals) -> int:
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError

    try:
        outputs = _outputs(args)
        settings = _settings(args)
    except (UsageError, ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return 2
    if args.show_settings:
        return _show_settings(settings)
    batch = None
    if args.hook:
        from modelcheck.integrations.precommit import Batch, hook_targets

        args.targets = hook_targets(args.targets, settings)
        batch = Batch.of_run(args.targets, _options_key(args))
        if batch is not None:
            args.targets = batch.unchecked()
        if not args.targets:
            if batch is not None:
                batch.finish(None, args)
                line = batch.summary() if batch.earlier > 1 else None
                if line:
                    _write_stdout(line + "\n")
            return 0
    if args.show_files:
        return _show_files(list(args.targets), settings)
    report = _run_check(args, settings, signals)
    if report is None:
        return 2
    signals.writing = True
    status = _write_reports(report, outputs, args, summary=batch is None)
    if batch is not None:
        status = max(status, batch.finish(report, args))
        line = batch.summary() if outputs[0] == ("text", None) else None
        if line:
            _write_stdout(line + "\n")
    code = _finish(report, args, settings)
    if signals.signal is not None and report.interrupted is None:
        print(f"modelcheck: {signals.signal} while the reports were written; they are "
              "complete", file=sys.stderr)
        return _interrupt_code(signals.signal)
    return code if code >= 2 else max(code, status)  # a report not written: exit 2


def _run_check(args, settings, signals: _Signals):
    """The report (partial when a signal stopped the scan), or None after a tool error."""
    from modelcheck.api import check
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError
    from modelcheck.results import Interrupted, Report

    try:
        return check(args.targets, settings, progress=_progress(not args.no_progress))
    except Interrupted as exc:
        signals.writing = True
        report = exc.report if exc.report is not None else Report(interrupted=exc.signal)
        print(f"\nmodelcheck: interrupted by {exc.signal}: {len(report.packages)} package(s) "
              "were checked before it; the reports are partial", file=sys.stderr)
        return report
    except (ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return None


def _finish(report, args, settings) -> int:
    if report.interrupted:
        if args.write_baseline:
            print(f"modelcheck: {args.write_baseline} not written: the run was interrupted",
                  file=sys.stderr)
        return report.exit_code()
    if args.write_baseline:
        from modelcheck.engine.baseline import write_baseline

        n = write_baseline(report, args.write_baseline)
        print(f"modelcheck: wrote {n} findings to {args.write_baseline}", file=sys.stderr)
        return 2 if report.tool_failed else 0
    code = report.exit_code(settings.fail_on)
    if args.exit_zero and code == 1:
        return 0
    return code


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None

    def show(i: int, n: int) -> None:
        if n < 5:
            return
        width = 30
        done = int(width * i / n)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} packages")
        if i == n:
            sys.stderr.write("\r" + " " * (width + 30) + "\r")
        sys.stderr.flush()

    return show


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["check", *argv]
    try:
        parser = _parser()
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            print(f"modelcheck: {exc}", file=sys.stderr)
            return 2
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0)
        if args.command == "rules":
            return _cmd_rules()
        if args.command == "rule":
            return _cmd_rule(args.code)
        return _cmd_check(args)
    except BrokenPipeError:  # stdout's reader has gone (| head): end quietly
        _stdout_gone()
        return 0
    except KeyboardInterrupt as exc:  # a signal outside a scan (start-up, listing rules)
        name = getattr(exc, "signal", "SIGINT")
        print(f"\nmodelcheck: interrupted by {name}", file=sys.stderr)
        return _interrupt_code(name)


def run() -> None:
    """The console entry point: :func:`main`, then an immediate exit.

    Once the report is written nothing is left to do, but a normal interpreter exit would
    still tear down every module and collect every object: about 8% of a one-package check.
    Output is flushed first; files, pools and threads are all closed by ``main`` already.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
