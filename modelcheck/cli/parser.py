"""The command line's argument parser: commands, options and their help."""

from __future__ import annotations

import argparse
import os
import sys

from modelcheck.version import __version__


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


def build_parser() -> argparse.ArgumentParser:
    from modelcheck.reporters import FORMATS

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
    c.add_argument("-f", "--format", "--output-format", default=None, metavar="FORMAT",
                   help=f"{', '.join(FORMATS)} (default text; 'modelcheck formats' says what "
                        "each is)")
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
    c.add_argument("--statistics", action="store_true",
                   help="text: a count of findings per rule instead of the findings")
    c.add_argument("--show-level", default=None, metavar="LEVEL",
                   help="lowest level shown (error, warning or note; a list such as "
                        "error,warning says the same): lower ones are left out of the reports "
                        "and counted in their summary, and --fail-on still counts them")
    c.add_argument("-q", "--quiet", action="store_true", help="only findings and the summary")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="auto (default): colour on a terminal, or when FORCE_COLOR is set and "
                        "NO_COLOR is not")
    c.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="fsspec storage option for remote targets (repeatable)")
    c.add_argument("--max-pickle-bytes", type=int, default=None,
                   help="largest pickle or skops file read from a remote package (more than 0); "
                        "local files are memory-mapped and scanned whatever their size")
    c.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    c.add_argument("--package-timeout", type=float, default=None, metavar="SECONDS",
                   help="time budget per package (default 60; 0 disables)")
    c.add_argument("--dask", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="list and check on an existing Dask cluster (tcp://HOST:8786); given "
                        "last or as --dask=, the address is $DASK_SCHEDULER_ADDRESS (needs "
                        "pip install 'modelcheck[dask]')")
    c.add_argument("--hook", action="store_true",
                   help="pre-commit mode: PATHs are changed files; files outside any model "
                        "package are skipped, and no file left to check is a pass")
    c.add_argument("--fix", action="store_true",
                   help="fix what is certain (local packages only), then check again and "
                        "report what is left")
    c.add_argument("--diff", action="store_true",
                   help="show the fixes as a unified diff and write nothing (exit 1 when there "
                        "is something to fix)")
    c.add_argument("--unsafe-fixes", action="store_true",
                   help="with --fix or --diff, also make the fixes that may change what the "
                        "author meant (see 'modelcheck rule CODE')")

    sub.add_parser("rules", help="list every rule", formatter_class=_Formatter)
    sub.add_parser("formats", help="list the report formats (-f)", formatter_class=_Formatter)
    r = sub.add_parser("rule", help="show one rule's documentation", formatter_class=_Formatter)
    r.add_argument("code")
    return p


def split_list(v: str | None) -> list[str] | None:
    return None if v is None else [x.strip().upper() for x in v.split(",") if x.strip()]


def parse_show_level(text: str):
    """``--show-level``: one level, shown with the levels above it; or a list of levels that
    skips none from error down (``error,warning``), which says the same as its lowest."""
    from modelcheck.results import Level

    parts = [x for x in text.split(",") if x.strip()]
    try:
        levels = {Level.parse(x) for x in parts}
    except ValueError as exc:
        raise UsageError(f"--show-level: {exc}") from None
    if not levels:
        raise UsageError("--show-level: expected error, warning or note")
    low = min(levels)
    if len(parts) > 1 and levels != {lv for lv in Level if lv >= low}:
        wanted = ",".join(str(lv) for lv in sorted(Level, reverse=True) if lv >= low)
        raise UsageError(f"--show-level {text}: a level is shown with every level above it; "
                         f"say --show-level {low} (or {wanted})")
    return low
