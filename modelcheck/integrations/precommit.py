"""pre-commit mode (``modelcheck check --hook FILE...``): changed files to packages.

pre-commit passes the changed files that match the hook's ``files:`` pattern. Each file maps
to the package that holds it (:func:`modelcheck.sources.discovery.discover` walks up to the folder
with ``MLmodel`` and checks each package once). Unlike a plain ``modelcheck check``, a file
outside any model package (the project's own ``requirements.txt``, a ``code/`` folder of the
application) is not an error: it is skipped. Files and packages matched by the config's
``exclude`` patterns are skipped too, even though pre-commit named them explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from modelcheck.engine.settings import Settings
from modelcheck.sources.discovery import looks_like_orphan, package_of


def in_package(path: str) -> bool:
    """True when ``path`` lies inside a model package (or a package that lost its MLmodel)."""
    if os.path.isdir(path):
        return package_of(path) is not None
    if package_of(path) is not None:
        return True
    try:
        names = set(os.listdir(os.path.dirname(os.path.abspath(path))))
    except OSError:
        return False
    return looks_like_orphan(names)


def hook_targets(paths: Iterable[str], settings: Settings) -> list[str]:
    """The paths worth checking: inside a package, existing, and not excluded."""
    out = []
    for p in paths:
        if not os.path.lexists(p) or settings.excluded(p.replace(os.sep, "/")):
            continue
        if in_package(p):
            out.append(p)
    return out


# -- one `pre-commit run`, several invocations ------------------------------------------------
#
# pre-commit passes the changed files on the command line. Even with `require_serial: true`
# (one invocation at a time, no shuffling) it splits a long list into several invocations:
# pre_commit/xargs.py `partition` cuts the command line at `_get_platform_max_length()`
# (ARG_MAX less the environment, at most 128 KiB on POSIX, 30 KiB on Windows). A repository
# whose changed model files pass that size (`--all-files` on thousands of packages) runs the
# hook several times, one after the other, from the same pre-commit process. The invocations
# of one run share a small state file (keyed by that process) so that a package whose files
# fall into two invocations is checked once, and the summary is printed once, with the totals
# of the whole run, by the last invocation.

PATH_MAX = 4096  # the longest file name pre-commit could add to a command line


class Batch:
    """This invocation's share of one ``pre-commit run`` of the hook."""

    def __init__(self, state_path: str, targets: list[str], state: dict) -> None:
        self.state_path = state_path
        self.targets = targets
        self.state = state
        self.roots = {t: _root_of(t) for t in targets}

    @classmethod
    def of_run(cls, targets: list[str], options: str = "") -> Batch | None:
        """The batch when run as a pre-commit hook (``PRE_COMMIT=1``), else None.
        ``options`` tells hooks of one run apart (the same hook configured twice with other
        args shares nothing)."""
        if os.environ.get("PRE_COMMIT") != "1":
            return None
        path = _state_path(options)
        if path is None:
            return None
        state = _load(path)
        return cls(path, targets, state)

    @property
    def earlier(self) -> int:
        """How many invocations of this run came before this one."""
        return int(self.state.get("batches", 0))

    def unchecked(self) -> list[str]:
        """The targets whose package no earlier invocation of this run has checked."""
        done = set(self.state.get("checked", ()))
        return [t for t in self.targets if self.roots[t] not in done]

    def may_continue(self) -> bool:
        """True when pre-commit may run another invocation after this one: its command line
        is within one file name of the length at which pre-commit cuts it."""
        limit = precommit_max_length()
        length = command_length()
        if length + 1 + PATH_MAX + 1 <= limit:
            return False
        return length + 1 + _longest_tracked_path() + 1 > limit

    def finish(self, report, args) -> int:
        """Record this invocation's packages and totals; print the run's summary when this is
        the last invocation (text output on stdout). Returns 0."""
        st = self.state
        st["batches"] = self.earlier + 1
        checked = set(st.get("checked", ()))
        totals = st.setdefault("totals", {"error": 0, "warning": 0, "note": 0, "packages": 0,
                                          "with_findings": 0, "suppressed": 0})
        if report is not None:
            checked.update(self.roots[t] for t in self.targets if t in self.roots)
            for k, v in report.counts().items():
                totals[k] += v
            totals["packages"] += len(report.packages)
            totals["with_findings"] += sum(1 for p in report.packages if p.findings)
            totals["suppressed"] += report.suppressed
        st["checked"] = sorted(checked)
        _save(self.state_path, st)
        return 0

    def summary(self) -> str | None:
        """The summary line to print after this invocation's findings, or None: nothing while
        pre-commit may run another invocation; the totals of every invocation so far after
        the last one."""
        if self.may_continue():
            return None
        from modelcheck.reporters.text import summary_line

        t = self.state["totals"]
        line = summary_line({k: t[k] for k in ("error", "warning", "note")}, t["packages"],
                            t["with_findings"], t["suppressed"])
        if self.state["batches"] > 1:
            line += (f" (pre-commit split the changed files into {self.state['batches']} "
                     "invocations; each package was checked once)")
        return line


def _longest_tracked_path() -> int:
    """The longest file name git tracks here (what pre-commit could pass next), else
    PATH_MAX."""
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files", "-z"], capture_output=True, timeout=60,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return PATH_MAX
    return max((len(n) for n in out.split(b"\0")), default=0) or PATH_MAX


def _root_of(target: str) -> str:
    from modelcheck.sources.discovery import package_of

    root = package_of(target)
    if root is None:  # a package that lost its MLmodel: the folder holding the file
        p = os.path.abspath(target)
        root = p if os.path.isdir(p) else os.path.dirname(p)
    return os.path.realpath(root)


def _state_path(options: str) -> str | None:
    """The state file of the pre-commit process that started this one (the parent): its pid
    and start time (so a reused pid is another run), per user, in a private folder."""
    import tempfile

    ppid = os.getppid()
    if ppid <= 1:
        return None
    try:
        with open(f"/proc/{ppid}/stat", "rb") as fh:
            start = fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        start = "0"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = os.path.join(tempfile.gettempdir(), f"modelcheck-hook-{uid}")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if hasattr(os, "getuid") and (info.st_uid != uid or info.st_mode & 0o077):
        return None  # not our private folder: do not share state through it
    _sweep(folder)
    import hashlib

    key = hashlib.sha256(f"{os.getcwd()}\0{options}".encode()).hexdigest()[:16]
    return os.path.join(folder, f"{ppid}-{start}-{key}.json")


def _sweep(folder: str, max_age: float = 86400.0) -> None:
    """Forget the state of runs older than a day."""
    import time

    now = time.time()
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        p = os.path.join(folder, name)
        try:
            if now - os.lstat(p).st_mtime > max_age:
                os.unlink(p)
        except OSError:
            pass


def _load(path: str) -> dict:
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            state = json.load(fh)
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(path: str, state: dict) -> None:
    import json

    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        os.replace(tmp, path)
    except OSError:
        pass


def command_length() -> int:
    """The length of this process's command line as pre-commit measures it
    (``xargs._command_length``: the words joined by spaces, then one more)."""
    import sys

    try:
        with open("/proc/self/cmdline", "rb") as fh:
            words = fh.read().split(b"\0")[:-1]
    except OSError:
        words = [os.fsencode(w) for w in (sys.executable, *sys.argv)]
    return len(b" ".join(words)) + 1


def precommit_max_length() -> int:
    """``pre_commit.xargs._get_platform_max_length()``, from this process's environment (the
    one pre-commit computed it from and passed on)."""
    if os.name == "posix":
        env = os.environb
        size = 8 * len(env) + sum(len(k) + len(v) + 2 for k, v in env.items())
        return max(min(os.sysconf("SC_ARG_MAX") - 2048 - size, 2 ** 17), 2 ** 12)
    if os.name == "nt":
        return 2 ** 15 - 2048
    return 2 ** 12
