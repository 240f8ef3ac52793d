"""Where reports go: ``-f``/``-o`` resolved and checked before any work, reports written,
stdout that may close under us (``| head``)."""

from __future__ import annotations

import os
import re
import sys

from modelcheck.cli.parser import UsageError


def want_color(mode: str, stream) -> bool:
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


_FORMAT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def unknown_format(fmt: str, where: str) -> UsageError:
    import difflib

    from modelcheck.reporters import FORMATS

    close = difflib.get_close_matches(fmt.lower(), list(FORMATS), n=2, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return UsageError(f"unknown format {fmt!r} in {where}{hint} (formats: "
                      f"{', '.join(FORMATS)})")


def resolve_outputs(args) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) for every report asked for, checked before any work:
    known formats, one ``-o FILE`` for the ``-f`` report, no file named twice, and folders
    that exist."""
    from modelcheck.reporters import FORMATS

    fmt = args.format or "text"
    if fmt not in FORMATS:
        raise unknown_format(fmt, f"-f/--format {fmt}")
    plain: list[str] = []
    extra: list[tuple[str, str]] = []
    for o in args.output:
        prefix, eq, path = o.partition("=")
        if eq and prefix in FORMATS:
            extra.append((prefix, path))
        elif eq and _FORMAT_WORD.fullmatch(prefix):
            raise unknown_format(prefix, f"-o {o}")
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


def options_key(args) -> str:
    """The options of a hook invocation, without the files: what tells two hooks of one
    pre-commit run apart."""
    return repr(sorted((k, v) for k, v in vars(args).items() if k != "targets"))


def write_reports(report, outputs, args, *, summary: bool = True) -> int:
    """Write every report: files first, then stdout (a reader that stops early, such as
    ``head``, must not keep the files from being written). 0, or 2 when a file could not be
    written."""
    from modelcheck.reporters import Context, render

    status = 0
    ordered = [o for o in outputs if o[1] is not None] + [o for o in outputs if o[1] is None]
    for f, path in ordered:
        stream = sys.stdout if path is None else None
        ctx = Context(color=want_color(args.color, sys.stdout) if stream else False,
                      statistics=args.statistics, quiet=args.quiet,
                      summary=summary or stream is None)
        text = render(f, report, ctx)
        if stream is not None:
            write_stdout(text)
            continue
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"modelcheck: cannot write the {f} report to {path}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            status = 2
    return status


def write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_gone()


def stdout_gone() -> None:
    """The reader of stdout has gone (``| head``): say nothing more there, quietly."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError):
        pass


# -- signals ---------------------------------------------------------------------------------
