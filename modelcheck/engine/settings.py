"""Settings: defaults, ``[tool.modelcheck]`` / ``modelcheck.toml`` config, and selection."""

from __future__ import annotations

import fnmatch
import json
import os
from typing import Any

from modelcheck.records import FACTORY, Record
from modelcheck.results import Finding, Level

CONFIG_FILES = ("modelcheck.toml", "pyproject.toml")


class ConfigError(Exception):
    pass


class Settings(Record):
    """Effective configuration (config file and command line)."""

    _fields = ("select", "ignore", "extend_select", "per_path_ignores", "severity", "fail_on",
               "exclude", "baseline", "jobs", "text_cap", "max_pickle_bytes", "package_timeout",
               "package_read_bytes", "storage_options", "config_path")

    def __init__(self, select: list[str] = FACTORY, ignore: list[str] = FACTORY,
                 extend_select: list[str] = FACTORY,
                 per_path_ignores: dict[str, list[str]] = FACTORY,
                 severity: dict[str, str] = FACTORY, fail_on: Level = Level.ERROR,
                 exclude: list[str] = FACTORY, baseline: str | None = None, jobs: int = 0,
                 text_cap: int = 16 * 1024 * 1024, max_pickle_bytes: int = 512 * 1024 * 1024,
                 package_timeout: float = 60.0, package_read_bytes: int = 4 * 1024 * 1024 * 1024,
                 storage_options: dict[str, Any] = FACTORY, config_path: str | None = None) -> None:
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

    def path_ignored(self, f: Finding) -> bool:
        if not self.per_path_ignores:
            return False
        path = f.path
        for pattern, prefixes in self.per_path_ignores.items():
            if _glob_match(path, pattern) and any(f.code.startswith(p) for p in prefixes):
                return True
        return False

    def excluded(self, path: str) -> bool:
        return any(_glob_match(path, pat) for pat in self.exclude)


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
    if "fail-on" in doc:
        s.fail_on = Level.parse(doc["fail-on"])
    if s.baseline and path and not os.path.isabs(s.baseline):
        s.baseline = os.path.join(os.path.dirname(path), s.baseline)
    return s


def load_settings(start: str = ".", explicit: str | None = None) -> Settings:
    path = explicit or find_config(start)
    if path is None:
        return Settings()
    return settings_from_config(load_config(path), path)
