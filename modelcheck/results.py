"""The values every layer shares: levels, a rule's hits, findings, and a run's results.

``Hit`` is what a rule yields; the engine places and levels it as a ``Finding``; a package's
findings make a ``PackageResult`` and a run's results a ``Report``, which reporters read. These
are plain values that pickle (a process pool or a cluster sends them back).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from modelcheck.records import FACTORY, FrozenInstanceError, FrozenRecord, Record, replace

DOC_HEADINGS = ("What it checks", "Why it matters", "Example", "How to fix")

# the engine's own codes (documented in modelcheck.engine.toolcodes): a finding with one of
# them means the tool could not do its job (exit 2)
TOOL_CODES = frozenset({"MC901", "MC902", "MC903"})


class Level(enum.IntEnum):
    """Severity of a finding; higher is worse. Names match SARIF levels."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Level:
        key = text.strip().lower()
        aliases = {"info": "note", "warn": "warning", "err": "error"}
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r} (use error, warning or note)") from None

    def __str__(self) -> str:
        return self.name.lower()


class Hit(FrozenRecord):
    """What a rule yields: a defect at one place in the package.

    ``file`` is relative to the package root (None for the package as a whole); ``pointer`` is a
    logical location (a JSON pointer such as ``/flavors/python_function/env``) used for stable
    fingerprints; ``line``/``col`` are 1-based where known. ``level`` overrides the rule's default
    for this one hit (e.g. the same defect is an error for one MLflow version, a warning for
    another). ``key`` disambiguates several hits at one pointer for fingerprints.
    """

    __slots__ = ("message", "file", "pointer", "line", "col", "level", "fix", "key")
    _fields = __slots__

    def __init__(self, message: str, file: str | None = None, pointer: str = "",
                 line: int | None = None, col: int | None = None, level: Level | None = None,
                 fix: str | None = None, key: str | None = None) -> None:
        init = object.__setattr__
        init(self, "message", message)
        init(self, "file", file)
        init(self, "pointer", pointer)
        init(self, "line", line)
        init(self, "col", col)
        init(self, "level", level)
        init(self, "fix", fix)
        init(self, "key", key)


class Finding(FrozenRecord):
    """A rule's hit, placed and levelled: what reports show."""

    __slots__ = ("code", "name", "level", "message", "package", "file", "line", "col", "pointer",
                 "fix", "tags", "key", "security_severity")
    _fields = __slots__

    def __init__(self, code: str, name: str, level: Level, message: str, package: str,
                 file: str | None = None, line: int | None = None, col: int | None = None,
                 pointer: str = "", fix: str | None = None, tags: tuple[str, ...] = (),
                 key: str | None = None, security_severity: float | None = None) -> None:
        init = object.__setattr__
        init(self, "code", code)
        init(self, "name", name)
        init(self, "level", level)
        init(self, "message", message)
        init(self, "package", package)
        init(self, "file", file)
        init(self, "line", line)
        init(self, "col", col)
        init(self, "pointer", pointer)
        init(self, "fix", fix)
        init(self, "tags", tags)
        init(self, "key", key)
        init(self, "security_severity", security_severity)

    @property
    def path(self) -> str:
        """Display path of the file (package path joined with the package-relative file)."""
        if not self.file:
            return self.package
        if self.package in ("", "."):
            return self.file
        sep = "" if self.package.endswith("/") else "/"
        return f"{self.package}{sep}{self.file}"

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: code, file, logical location and key."""
        import hashlib  # only reports that carry fingerprints need it

        basis = "\x1f".join(
            (self.code, self.file or "", self.pointer, self.key if self.key is not None
             else _digits.sub("#", self.message))
        )
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]

    def with_level(self, level: Level) -> Finding:
        return replace(self, level=level)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": str(self.level),
            "message": self.message,
            "package": self.package,
            "file": self.file,
            "path": self.path,
            "line": self.line,
            "column": self.col,
            "pointer": self.pointer,
            "fix": self.fix,
            "tags": list(self.tags),
            "fingerprint": self.fingerprint,
        }


_digits = re.compile(r"\d+")



class _Frozen:
    """Read-only attributes after ``__init__``; equality, hash and repr over ``_key()`` and
    ``_shown``: a frozen dataclass, without the code a dataclass generates and compiles per
    class at import."""

    __slots__ = ()
    _shown: tuple[str, ...] = ()

    def _args(self) -> tuple:
        raise NotImplementedError

    def _key(self) -> tuple:
        return self._args()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._shown)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple:
        return type(self), self._args()


class RuleMeta(_Frozen):
    """A rule's code, name, default level and documentation.

    ``doc`` is the docstring given, cleaned (``inspect.cleandoc``), and ``summary`` its first
    paragraph: both are worked out on first use, since checking never reads them (``modelcheck
    rule``/``rules``, SARIF and the rule docs do).
    """

    __slots__ = ("code", "name", "level", "_raw_doc", "tags", "security_severity", "origin",
                 "_doc")
    _shown = ("code", "name", "level", "summary", "doc", "tags", "security_severity", "origin")

    def __init__(self, code: str, name: str, level: Level, doc: str = "",
                 tags: tuple[str, ...] = (), security_severity: float | None = None,
                 origin: str = "") -> None:
        init = object.__setattr__
        init(self, "code", code)
        init(self, "name", name)
        init(self, "level", level)
        init(self, "_raw_doc", doc)
        init(self, "tags", tags)
        init(self, "security_severity", security_severity)
        init(self, "origin", origin)
        init(self, "_doc", None)

    def _args(self) -> tuple:
        return (self.code, self.name, self.level, self._raw_doc, self.tags,
                self.security_severity, self.origin)

    def _key(self) -> tuple:
        return (self.code, self.name, self.level, self.doc, self.tags, self.security_severity,
                self.origin)

    @property
    def doc(self) -> str:
        if self._doc is None:
            import inspect

            object.__setattr__(self, "_doc", inspect.cleandoc(self._raw_doc))
        return self._doc

    @property
    def summary(self) -> str:
        return self.doc.split("\n\n", 1)[0].replace("\n", " ").strip()

    def section(self, heading: str) -> str:
        """Return the text under ``heading`` in the rule's docs ("" when absent)."""
        return doc_sections(self.doc).get(heading, "")


class Rule(_Frozen):
    """A check function with its metadata (what :func:`rule` makes of a decorated function)."""

    __slots__ = ("meta", "func")
    _shown = ("meta",)

    def __init__(self, meta: RuleMeta, func: Callable[[Any], Iterable[Hit]]) -> None:
        object.__setattr__(self, "meta", meta)
        object.__setattr__(self, "func", func)

    def _args(self) -> tuple:
        return (self.meta, self.func)

    def __reduce__(self) -> tuple:
        """A registered rule pickles as its code, and unpickles as the rule the receiving
        process's registry holds under that code (built-in or plugin; the ``@rule`` decorator
        binds the Rule to the function's name, so the function cannot be pickled by name).
        Any other rule pickles by value, its function by reference. The registry is looked up
        in ``sys.modules`` (this layer imports nothing above it): a rule came from it, or was
        never registered."""
        import sys

        registry = sys.modules.get("modelcheck.engine.registry")
        if registry is not None and registry.registered(self.code) is self:
            return registry.rule_by_code, (self.code,)
        return Rule, self._args()

    @property
    def code(self) -> str:
        return self.meta.code

    def check(self, pkg: Any) -> Iterator[Hit]:
        yield from self.func(pkg) or ()


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into {heading: body}; the first paragraph is ``summary``."""
    sections: dict[str, str] = {}
    current = "summary"
    buf: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip().rstrip(":")
        if stripped in DOC_HEADINGS:
            sections[current] = "\n".join(buf).strip()
            current, buf = stripped, []
        else:
            buf.append(line)
    sections[current] = "\n".join(buf).strip()
    return sections



# what a registry package's provenance may hold (all strings): the registered model's name,
# the version, what selected it ("@champion", "Production", "latest", "version", "*"), every
# alias pointing at it (comma-separated), its stage ("None" when it has none), the run that
# logged it, its source URI and the version's status ("READY", "FAILED_REGISTRATION"...)
PROVENANCE_KEYS = ("model", "version", "selected_by", "aliases", "stage", "run_id", "source",
                   "status")


class PackageResult(Record):
    """The findings for one package."""

    _fields = ("display", "findings", "mlflow_version", "flavors", "provenance")

    def __init__(self, display: str, findings: list[Finding] = FACTORY,
                 mlflow_version: str | None = None, flavors: tuple[str, ...] = (),
                 provenance: dict[str, str] | None = None) -> None:
        self.display = display
        self.findings = [] if findings is FACTORY else findings
        self.mlflow_version = mlflow_version
        self.flavors = flavors
        # where a registry package came from (None elsewhere): the keys of PROVENANCE_KEYS
        # that are known, e.g. {"model": "churn", "version": "3", "selected_by": "@champion",
        # "aliases": "champion", "stage": "Production", "run_id": "...",
        # "source": "mlflow-artifacts:/...", "status": "READY"}
        self.provenance = provenance

    @property
    def worst(self) -> Level | None:
        return max((f.level for f in self.findings), default=None)


class Invocation(Record):
    """What a run was, for archived reports: the tool's version, when it started and ended
    (ISO 8601, UTC), the targets as given, and the effective settings as plain JSON values."""

    _fields = ("tool_version", "started", "finished", "targets", "settings")

    def __init__(self, tool_version: str = "", started: str = "", finished: str = "",
                 targets: list[str] = FACTORY, settings: dict[str, Any] = FACTORY) -> None:
        self.tool_version = tool_version
        self.started = started
        self.finished = finished
        self.targets = [] if targets is FACTORY else targets
        self.settings = {} if settings is FACTORY else settings


class Report(Record):
    """The outcome of one run: findings by package, rules run, tool failures."""

    _fields = ("packages", "rules", "notifications", "suppressed", "interrupted", "notes",
               "invocation")
    # what the run was (not what it found): kept out of equality, so two runs of the same
    # targets compare equal whatever their start times
    _compare = ("packages", "rules", "notifications", "suppressed", "interrupted", "notes")

    def __init__(self, packages: list[PackageResult] = FACTORY, rules: dict[str, Rule] = FACTORY,
                 notifications: list[str] = FACTORY, suppressed: int = 0,
                 interrupted: str | None = None, notes: list[str] = FACTORY,
                 invocation: Invocation | None = None) -> None:
        self.packages = [] if packages is FACTORY else packages
        self.rules = {} if rules is FACTORY else rules
        # tool failures (exit 2)
        self.notifications = [] if notifications is FACTORY else notifications
        self.suppressed = suppressed  # findings hidden by a baseline
        # the signal that stopped the run ("SIGINT", "SIGTERM"): the report is partial, it
        # holds only the packages checked before it
        self.interrupted = interrupted
        # what the run passed over on purpose and says so without failing (a symlinked folder
        # discovery did not follow): shown in every report, no effect on the exit code
        self.notes = [] if notes is FACTORY else notes
        self.invocation = invocation

    @property
    def partial(self) -> bool:
        """True when the run was stopped before every package was checked."""
        return self.interrupted is not None

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.packages for f in p.findings]

    @property
    def tool_failed(self) -> bool:
        return bool(self.notifications) or any(
            f.code in TOOL_CODES for f in self.findings)

    def exit_code(self, fail_on: Level = Level.ERROR) -> int:
        if self.interrupted:
            return 143 if self.interrupted == "SIGTERM" else 130
        if self.tool_failed:
            return 2
        return 1 if any(f.level >= fail_on for f in self.findings) else 0

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "note": 0}
        for f in self.findings:
            out[str(f.level)] += 1
        return out



class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal (``SIGINT``, ``SIGTERM``).

    The command line raises it from its signal handlers; :func:`modelcheck.check` re-raises it
    with ``report``: the packages checked before the signal, marked partial.
    """

    def __init__(self, signal: str = "SIGINT", report: Report | None = None) -> None:
        super().__init__(signal)
        self.signal = signal
        self.report = report

    def __reduce__(self) -> tuple:
        return type(self), (self.signal, self.report)
