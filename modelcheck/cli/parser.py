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


def split_list(v: str | None) -> list[str] | None:
    return None if v is None else [x.strip().upper() for x in v.split(",") if x.strip()]
