"""Command line: ``modelcheck [check] PATH...``, ``modelcheck rules``, ``modelcheck rule CODE``.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage/config error or the tool
could not do its job (unreadable target, rule crash).
"""

from __future__ import annotations

import argparse
import os
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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="modelcheck", formatter_class=_Formatter,
        description="Static validator and linter for MLflow model packages.",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or tool error.",
    )
    p.add_argument("--version", action="version", version=f"modelcheck {__version__}")
    sub = p.add_subparsers(dest="command")

    c = sub.add_parser("check", help="check packages (the default command)",
                       formatter_class=_Formatter)
    c.add_argument("targets", nargs="*", default=["."], metavar="PATH",
                   help="package dirs, MLmodel files, files inside packages, trees, or URLs")
    c.add_argument("-f", "--format", default=None,
                   help="text (default), json, sarif, github, html, markdown")
    c.add_argument("-o", "--output", action="append", default=[], metavar="[FORMAT=]FILE",
                   help="write to FILE instead of stdout; FORMAT=FILE adds another report")
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
                   help="config file (default: modelcheck.toml or pyproject.toml, upward)")
    c.add_argument("--jobs", "-j", type=int, default=None,
                   help="local trees: worker processes (default: one per core, plus one to "
                        "keep the cores busy while another waits on the disk); buckets: "
                        "packages fetched at once (default 16)")
    c.add_argument("--statistics", action="store_true", help="count findings per rule")
    c.add_argument("-q", "--quiet", action="store_true", help="only findings and the summary")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="fsspec storage option for remote targets (repeatable)")
    c.add_argument("--max-pickle-bytes", type=int, default=None,
                   help="largest pickle to scan in remote packages")
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

    r = all_rules().get(code.upper())
    if r is None:
        print(f"modelcheck: no rule {code!r}; see 'modelcheck rules'", file=sys.stderr)
        return 2
    m = r.meta
    print(f"{m.code} {m.name} (default level: {m.level})")
    if m.tags:
        print(f"tags: {', '.join(m.tags)}")
    print()
    print(m.doc)
    return 0


def _settings(args):
    from modelcheck.engine.settings import load_settings
    from modelcheck.results import Level

    s = load_settings(".", args.config)
    for attr in ("select", "extend_select", "ignore"):
        v = _split(getattr(args, attr))
        if v is not None:
            setattr(s, attr, v)
    if args.fail_on:
        s.fail_on = Level.parse(args.fail_on)
    if args.baseline:
        s.baseline = args.baseline
    if args.write_baseline:
        s.baseline = None
    if args.jobs is not None:
        s.jobs = args.jobs
    if args.package_timeout is not None:
        s.package_timeout = args.package_timeout
    if args.max_pickle_bytes is not None:
        s.max_pickle_bytes = args.max_pickle_bytes
    for kv in args.storage_option:
        if "=" not in kv:
            raise ValueError(f"--storage-option expects KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        s.storage_options[k] = v
    return s


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


def _cmd_check(args) -> int:
    from modelcheck.api import check
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError
    from modelcheck.reporters import FORMATS, Context, render

    try:
        settings = _settings(args)
        if args.hook:
            from modelcheck.integrations.precommit import hook_targets

            args.targets = hook_targets(args.targets, settings)
            if not args.targets:
                return 0
        report = check(args.targets, settings, progress=_progress(not args.no_progress))
    except (ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return 2

    fmt = args.format or "text"
    outputs: list[tuple[str, str | None]] = []
    plain = [o for o in args.output if "=" not in o or o.split("=", 1)[0] not in FORMATS]
    extra = [tuple(o.split("=", 1)) for o in args.output if o not in plain]
    outputs.append((fmt, plain[-1] if plain else None))
    outputs.extend((f, p) for f, p in extra)
    for f, path in outputs:
        stream = sys.stdout if path is None else None
        ctx = Context(color=_want_color(args.color, sys.stdout) if stream else False,
                      statistics=args.statistics, quiet=args.quiet)
        try:
            text = render(f, report, ctx)
        except ValueError as exc:
            print(f"modelcheck: {exc}", file=sys.stderr)
            return 2
        if stream is not None:
            stream.write(text)
        else:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)

    if args.write_baseline:
        from modelcheck.engine.baseline import write_baseline

        n = write_baseline(report, args.write_baseline)
        print(f"modelcheck: wrote {n} findings to {args.write_baseline}", file=sys.stderr)
        return 2 if report.tool_failed else 0
    code = report.exit_code(settings.fail_on)
    if args.exit_zero and code == 1:
        return 0
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["check", *argv]
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "rules":
        return _cmd_rules()
    if args.command == "rule":
        return _cmd_rule(args.code)
    return _cmd_check(args)


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
