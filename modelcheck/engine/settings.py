"""Settings: defaults, ``[tool.modelcheck]`` / ``modelcheck.toml`` config, and selection."""

from __future__ import annotations

import fnmatch
import json
import os
from typing import Any

from modelcheck.records import FACTORY, Record
from modelcheck.results import TOOL_CODES, Finding, Level

CONFIG_FILES = ("modelcheck.toml", "pyproject.toml")


class ConfigError(Exception):
    pass


class Settings(Record):
    """Effective configuration (config file and command line)."""

    _fields = ("select", "ignore", "extend_select", "per_path_ignores", "severity", "fail_on",
               "exclude", "baseline", "jobs", "text_cap", "max_pickle_bytes", "package_timeout",
               "package_read_bytes", "storage_options", "config_path", "show_level")

    def __init__(self, select: list[str] = FACTORY, ignore: list[str] = FACTORY,
                 extend_select: list[str] = FACTORY,
                 per_path_ignores: dict[str, list[str]] = FACTORY,
                 severity: dict[str, str] = FACTORY, fail_on: Level = Level.ERROR,
                 exclude: list[str] = FACTORY, baseline: str | None = None, jobs: int = 0,
                 text_cap: int = 16 * 1024 * 1024, max_pickle_bytes: int = 512 * 1024 * 1024,
                 package_timeout: float = 60.0, package_read_bytes: int = 4 * 1024 * 1024 * 1024,
                 storage_options: dict[str, Any] = FACTORY, config_path: str | None = None,
                 show_level: Level = Level.NOTE) -> None:
        self.select = ["MC"] if select is FACTORY else select
        self.ignore = [] if ignore is FACTORY else ignore
        self.extend_select = [] if extend_select is FACTORY else extend_select
        self.per_path_ignores = {} if per_path_ignores is FACTORY else per_path_ignores
        self.severity = {} if severity is FACTORY else severity
        self.fail_on = fail_on
        self.exclude = [] if exclude is FACTORY else exclude
        self.baseline = baseline
        self.jobs = jobs
        self.text_cap = text_cap
        self.max_pickle_bytes = max_pickle_bytes
        self.package_timeout = package_timeout  # seconds per package; 0 disables
        self.package_read_bytes = package_read_bytes  # bytes read per package, at most
        self.storage_options = {} if storage_options is FACTORY else storage_options
        self.config_path = config_path
        # lowest level the reports show (--show-level); the exit code counts every level
        self.show_level = show_level
        # where each value came from ("--select", "pyproject.toml: select"), for messages;
        # not a field: it does not change what the settings mean
        self.origins: dict[str, str] = {}

    @property
    def root(self) -> str | None:
        """The folder of the config file: ``exclude`` and ``per-path-ignores`` patterns are
        relative to it (as well as to the working directory)."""
        return os.path.dirname(os.path.abspath(self.config_path)) if self.config_path else None

    def _candidates(self, path: str) -> list[str]:
        out = [path]
        root = self.root
        if root and not _is_remote(path):
            rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
            if rel != path and not rel.startswith("../") and rel != "..":
                out.append(rel)
        return out

    # -- selection -------------------------------------------------------------------------
    def enabled(self, code: str) -> bool:
        best_len, best = -1, False
        for prefixes, value in ((self.select, True), (self.extend_select, True),
                                (self.ignore, False)):
            for p in prefixes:
                if code.startswith(p) and (len(p) > best_len or (len(p) == best_len
                                                                 and not value)):
                    best_len, best = len(p), value
        return best

    def level_for(self, code: str, default: Level) -> Level:
        best_len, best = -1, default
        for prefix, lvl in self.severity.items():
            if code.startswith(prefix) and len(prefix) > best_len:
                best_len, best = len(prefix), Level.parse(lvl)
        return best

    def as_json(self) -> dict[str, Any]:
        """The effective settings as plain JSON values, for a report's invocation. Storage
        option values are masked (they may hold credentials); their keys are kept."""
        out: dict[str, Any] = {}
        for name in self._fields:
            value = getattr(self, name)
            if name == "storage_options":
                value = {k: "***" for k in value}
            elif isinstance(value, Level):
                value = str(value)
            elif isinstance(value, dict):
                value = {k: list(v) if isinstance(v, (list, tuple)) else v
                         for k, v in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out

    def path_ignored(self, f: Finding) -> bool:
        if not self.per_path_ignores:
            return False
        paths = None
        for pattern, prefixes in self.per_path_ignores.items():
            if any(f.code.startswith(p) for p in prefixes):
                paths = paths or self._candidates(f.path)
                if any(_glob_match(p, pattern) for p in paths):
                    return True
        return False

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        paths = self._candidates(path)
        return any(_glob_match(p, pat) for p in paths for pat in self.exclude)


def _is_remote(target: str) -> bool:
    return "://" in target or target.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


def _glob_match(path: str, pattern: str) -> bool:
    path = path.replace(os.sep, "/").lstrip("./") if path.startswith("./") else path
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*"):
        return True
    # a bare name matches any path component sequence ("legacy" matches "a/legacy/b")
    return "/" not in pattern and pattern in path.split("/")


def find_config(start: str) -> str | None:
    cur = os.path.abspath(start)
    while True:
        for name in CONFIG_FILES:
            p = os.path.join(cur, name)
            if os.path.isfile(p):
                if name == "pyproject.toml" and not _has_tool_section(p):
                    continue
                return p
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _has_tool_section(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            return "[tool.modelcheck" in fh.read()
    except OSError:
        return False


def _toml_load(path: str) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _schema() -> dict[str, Any]:
    from importlib.resources import files

    return json.loads(files("modelcheck.schemas").joinpath("config.schema.json").read_text())


def load_config(path: str) -> dict[str, Any]:
    doc = _toml_load(path)
    if os.path.basename(path) == "pyproject.toml":
        doc = doc.get("tool", {}).get("modelcheck", {})
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            where = ".".join(str(p) for p in e.absolute_path) or "(top level)"
            lines.append(f"  {where}: {e.message}")
        raise ConfigError(f"invalid modelcheck config in {path}:\n" + "\n".join(lines))
    return doc


_KEYS = {
    "select": "select", "ignore": "ignore", "extend-select": "extend_select",
    "per-path-ignores": "per_path_ignores", "severity": "severity", "exclude": "exclude",
    "baseline": "baseline", "jobs": "jobs", "max-file-bytes": "text_cap",
    "max-pickle-bytes": "max_pickle_bytes", "storage-options": "storage_options",
    "package-timeout": "package_timeout", "max-package-read-bytes": "package_read_bytes",
}


def settings_from_config(doc: dict[str, Any], path: str | None) -> Settings:
    s = Settings(config_path=path)
    for key, attr in _KEYS.items():
        if key in doc:
            setattr(s, attr, doc[key])
            s.origins[attr] = f"{path}: {key}" if path else key
    if "fail-on" in doc:
        s.fail_on = Level.parse(doc["fail-on"])
    if "show-level" in doc:
        s.show_level = Level.parse(doc["show-level"])
        s.origins["show_level"] = f"{path}: show-level" if path else "show-level"
    if s.baseline and path and not os.path.isabs(s.baseline):
        s.baseline = os.path.join(os.path.dirname(path), s.baseline)
    return s


def load_settings(start: str = ".", explicit: str | None = None) -> Settings:
    path = explicit or find_config(start)
    if path is None:
        return Settings()
    return settings_from_config(load_config(path), path)


def _start_dir(target: str) -> str:
    """Where the upward config search starts for one local target: the target when it is a
    folder, else the folder holding it (an MLmodel or other file inside a package)."""
    return target if os.path.isdir(target) else (os.path.dirname(target) or ".")


def config_for_targets(targets: list[str], explicit: str | None = None) -> str | None:
    """The config file of a run: ``explicit`` (``--config``), else the one found upward from
    the local targets (as ruff does), else from the working directory (URLs only, or no
    target). All local targets must share one config (or all have none): a run over targets
    governed by different configs is refused rather than checked under the wrong one."""
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(f"--config {explicit}: no such file")
        return explicit
    local = [t for t in targets if not _is_remote(t)]
    if not local:
        return find_config(".")
    found: dict[str | None, str] = {}
    by_dir: dict[str, str | None] = {}  # many targets share a folder (pre-commit's files)
    for t in local:
        start = _start_dir(t)
        if start not in by_dir:
            by_dir[start] = find_config(start)
        found.setdefault(by_dir[start], t)
    if len(found) > 1:
        (a, ta), (b, tb) = list(found.items())[:2]
        raise ConfigError(
            f"the targets have different configs: {ta!r} uses {a or 'none (defaults)'}, "
            f"{tb!r} uses {b or 'none (defaults)'}; check them in separate runs, or pass "
            "--config FILE")
    return next(iter(found))


# -- validation (before any work) ----------------------------------------------------------

CODE_HINT = "see 'modelcheck rules'"
_LOOKALIKE = str.maketrans({"L": "1", "I": "1", "O": "0", "S": "5", "B": "8", "Z": "2"})


def _suggest(value: str, known: list[str]) -> str:
    import difflib

    value = value.upper()
    # a look-alike typed for a digit (MC30l, MC3O1) first; then the codes or prefixes of the
    # same length that differ in one place; then what difflib finds close
    close: list[str] = []
    lookalike = value[:2] + value[2:].translate(_LOOKALIKE)
    prefixes = sorted({c[:len(value)] for c in known})
    if lookalike != value and lookalike in prefixes:
        close.append(lookalike)
    close += [p for p in prefixes if p not in close
              and sum(a != b for a, b in zip(p, value, strict=True)) == 1]
    if not close:
        pool = list(dict.fromkeys(prefixes + list(known)))
        close = difflib.get_close_matches(value, pool, n=3, cutoff=0.6)
    close = close[:3]
    return f"; did you mean {', '.join(close)}?" if close else ""


def code_problem(value: str, known: list[str], where: str) -> str | None:
    """A one-line message when ``value`` is not a rule code or a prefix of one, else None."""
    if not isinstance(value, str) or not value:
        return f"{where}: empty rule code or prefix ({CODE_HINT})"
    if any(c.startswith(value) for c in known):
        return None
    hint = _suggest(value, known)
    if value != value.upper() and any(c.startswith(value.upper()) for c in known):
        hint = f"; codes are upper case: {value.upper()}"
    return (f"{where}: unknown rule code or prefix {value!r}: no rule's code starts with it"
            f"{hint} ({CODE_HINT})")


def validate(settings: Settings, known: list[str]) -> None:
    """Refuse settings that would check other rules than meant, or nothing (ConfigError)."""
    import math

    o = settings.origins
    for attr, label in (("select", "select"), ("extend_select", "extend-select"),
                        ("ignore", "ignore")):
        where = o.get(attr, label)
        values = getattr(settings, attr)
        if not isinstance(values, list):
            raise ConfigError(f"{where}: expected a list of rule codes, got {values!r}")
        for v in values:
            msg = code_problem(v, known, where)
            if msg:
                raise ConfigError(msg)
    for pattern, codes in settings.per_path_ignores.items():
        where = f"{o.get('per_path_ignores', 'per-path-ignores')} {pattern!r}"
        for v in codes:
            msg = code_problem(v, known, where)
            if msg:
                raise ConfigError(msg)
    for prefix, level in settings.severity.items():
        where = o.get("severity", "severity")
        msg = code_problem(prefix, known, f"{where} key")
        if msg:
            raise ConfigError(msg)
        try:
            Level.parse(str(level))
        except ValueError as exc:
            raise ConfigError(f"{where} {prefix!r}: {exc}") from None

    def number(attr: str, label: str, *, zero: bool, integer: bool) -> None:
        v = getattr(settings, attr)
        where = o.get(attr, label)
        ok = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or not math.isfinite(v) or v < 0 or (v == 0
                                                                            and not zero):
            need = "0 or more" if zero else "more than 0"
            raise ConfigError(f"{where}: expected {'a whole number' if integer else 'a number'}"
                              f" {need}, got {v!r}")

    number("jobs", "--jobs", zero=True, integer=True)  # 0: automatic
    number("package_timeout", "--package-timeout", zero=True, integer=False)  # 0: no budget
    number("max_pickle_bytes", "--max-pickle-bytes", zero=False, integer=True)
    number("text_cap", "max-file-bytes", zero=False, integer=True)
    number("package_read_bytes", "max-package-read-bytes", zero=False, integer=True)
    if not any(settings.enabled(c) for c in known if c not in TOOL_CODES):
        raise ConfigError(
            f"no rule is enabled (select {settings.select}, extend-select "
            f"{settings.extend_select}, ignore {settings.ignore}): a check would check "
            "nothing")
