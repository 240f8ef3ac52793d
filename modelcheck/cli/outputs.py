"""Where reports go: ``-f``/``-o`` resolved and checked before any work, reports written,
stdout that may close under us (``| head``)."""

from __future__ import annotations

import os
import re
import sys

from modelcheck.cli.parser import UsageError


def want_color(mode: str, stream) -> bool:
    """--color always/never decide; auto: NO_COLOR (set and not empty) turns colour off, else
    FORCE_COLOR (set and not empty) turns it on without a terminal, else a terminal does."""
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def public_argv(argv: list[str]) -> list[str]:
    """The command line as a report may record it: storage option values and credentials in
    URLs masked (they may be secrets)."""
    from modelcheck.reporters import mask_url

    out: list[str] = []
    for i, a in enumerate(argv):
        if a.startswith("--storage-option=") and "=" in a[17:]:
            a = a[:17] + a[17:].split("=", 1)[0] + "=***"
        elif i and argv[i - 1] == "--storage-option" and "=" in a:
            a = a.split("=", 1)[0] + "=***"
        out.append(mask_url(a))
    return out


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


def write_reports(report, outputs, args, *, summary: bool = True,
                  hidden: dict[str, int] | None = None, argv: list[str] | None = None,
                  streamed: JsonLines | None = None) -> int:
    """Write every report: files first, then stdout (a reader that stops early, such as
    ``head``, must not keep the files from being written). ``hidden``: findings --show-level
    left out, by level; ``streamed``: the json-lines outputs written as packages finished,
    which get their summary line now. 0, or 2 when a file could not be written."""
    from modelcheck.reporters import Context, render

    status = 0
    ordered = [o for o in outputs if o[1] is not None] + [o for o in outputs if o[1] is None]
    for f, path in ordered:
        stream = sys.stdout if path is None else None
        ctx = Context(color=want_color(args.color, sys.stdout) if stream else False,
                      statistics=args.statistics, quiet=args.quiet,
                      summary=summary or stream is None, hidden=hidden,
                      argv=None if argv is None else public_argv(argv))
        if streamed is not None and (f, path) in streamed.outputs:
            status = max(status, streamed.finish((f, path), report, ctx))
            continue
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



class JsonLines:
    """The json-lines outputs of a check, written as packages finish: each package's
    findings (those --show-level shows) when the scan hands it over, the summary line
    (:meth:`finish`) when the report is written. Files are opened before the scan."""

    def __init__(self, outputs: list[tuple[str, str | None]], show_level) -> None:
        self.outputs = [o for o in outputs if o[0] == "json-lines"]
        self.show_level = show_level
        self.files: dict[str | None, object] = {}
        self.failed: dict[str, str] = {}  # path -> why it could not be written
        self.written: dict[int, object] = {}  # the packages written, by id (kept alive)
        for _, path in self.outputs:
            if path is not None:
                try:
                    self.files[path] = open(path, "w", encoding="utf-8")  # noqa: SIM115
                except OSError as exc:
                    self.failed[path] = exc.strerror or str(exc)

    def __bool__(self) -> bool:
        return bool(self.outputs)

    def package(self, pkg) -> None:
        """Write one package's lines, once."""
        from modelcheck.reporters.jsonlines import package_lines

        if id(pkg) in self.written:
            return
        original = pkg
        shown = [f for f in pkg.findings if f.level >= self.show_level]
        if len(shown) != len(pkg.findings):
            from modelcheck.records import replace

            pkg = replace(pkg, findings=shown)
        text = package_lines(pkg)
        if text:
            self._write(text)
        self.written[id(original)] = original

    def catch_up(self, report) -> None:
        """Write the packages of the report not written yet (a scan that hands results over
        only at its end, or a signal between a package's end and its lines)."""
        if not self.outputs:
            return
        for pkg in report.packages:
            self.package(pkg)

    def guarded(self, signals):
        """``package`` for the scan's hook: a signal that arrives while lines are written
        waits until they are (no half line), then stops the scan as usual."""

        def write(pkg) -> None:
            before, signals.writing = signals.signal, True
            try:
                self.package(pkg)
            finally:
                signals.writing = False
            if before is None and signals.signal is not None:  # it came while writing
                from modelcheck.results import Interrupted

                raise Interrupted(signals.signal)

        return write

    def _write(self, text: str, only: str | None | bool = False) -> None:
        for _, path in self.outputs:
            if only is not False and path != only:
                continue
            if path is None:
                write_stdout(text)
            elif path not in self.failed:
                try:
                    self.files[path].write(text)  # type: ignore[attr-defined]
                    self.files[path].flush()  # type: ignore[attr-defined]
                except OSError as exc:
                    self.failed[path] = exc.strerror or str(exc)

    def finish(self, output: tuple[str, str | None], report, ctx) -> int:
        """The summary line of one output, and its file closed: 0, or 2 when the file could
        not be written."""
        from modelcheck.reporters.jsonlines import summary_line

        path = output[1]
        self._write(summary_line(report, ctx), only=path)
        if path is None:
            return 0
        fh = self.files.pop(path, None)
        try:
            if fh is not None:
                fh.close()  # type: ignore[attr-defined]
        except OSError as exc:
            self.failed.setdefault(path, exc.strerror or str(exc))
        if path in self.failed:
            print(f"modelcheck: cannot write the json-lines report to {path}: "
                  f"{self.failed[path]}", file=sys.stderr)
            return 2
        return 0

    def close(self) -> None:
        """Close what is still open (a check that ended without reports)."""
        for fh in self.files.values():
            try:
                fh.close()  # type: ignore[attr-defined]
            except OSError:
                pass
        self.files.clear()


# -- signals ---------------------------------------------------------------------------------
