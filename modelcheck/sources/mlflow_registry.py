"""A whole MLflow Model Registry, or the part a name glob selects, as a stream of jobs.

Registry targets (``*`` in a name matches any characters, nothing else is special)::

    models:/*  (or models:/)        the latest version of every registered model
    models:/GLOB                    the latest version of each model GLOB matches
    models:/GLOB/*                  every version of those models
    models:/GLOB@ALIAS              the version ALIAS points at, per model
    models:/GLOB/STAGE              the latest version in STAGE, per model
    models:/GLOB/latest             the latest version, per model

The server is asked through its search endpoints, page by page, and jobs are yielded as
pages land: checking starts before the listing ends. ``registered-models/search`` (at most
1000 a page in MLflow's handler) gives every model's aliases and its latest version per stage,
so ``latest``, stages and aliases need no request per model; ``model-versions/search`` pages
every version for ``/*``. The search filter is ``name LIKE`` with ``*`` turned into ``%``:
SQL LIKE has no escape character in MLflow's stores (``column.like(value)``), and is
case-insensitive on some databases, so the server's answer is only narrowed by it and every
name is matched against the glob here, exactly and case-sensitively.

Each job is one model version, shown as the canonical ``models:/NAME/VERSION`` (the same
package a one-by-one check of that URI reads), with its provenance (model, version, what
selected it, its aliases, stage, run, source, status). Nothing is read for a version until a
worker checks it: its artifact location (``get-download-uri``, as MLflow's own client asks)
and its files are fetched on the worker's thread (:class:`LazyVersion`). A version that
cannot be read becomes a tool failure for that version alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from modelcheck.sources.base import Entry, Source
from modelcheck.sources.plan import Job, SourceOptions, TargetFailed

API = "/api/2.0/mlflow"
MODEL_PAGE = 200  # registered models a page (MLflow's handler allows up to 1000)
VERSION_PAGE = 1000  # model versions a page (MLflow: 200,000; Databricks: 10,000)
STAGES = ("None", "Staging", "Production", "Archived")  # MLflow's ALL_STAGES

FORMS = ("models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE, models:/NAME/latest, "
         "models:/NAME/* (every version); NAME may hold * (models:/churn-*/Production); "
         "models:/* is the latest version of every registered model")


class Selection:
    """A parsed registry target: a name glob and what it selects per model."""

    def __init__(self, glob: str, kind: str, value: str = "") -> None:
        self.glob = glob
        self.kind = kind  # "latest", "all", "alias", "stage"
        self.value = value  # the alias, or the canonical stage

    @property
    def label(self) -> str:
        """``selected_by`` in provenance."""
        return {"latest": "latest", "all": "*", "alias": f"@{self.value}",
                "stage": self.value}[self.kind]

    def describe(self) -> str:
        what = {"latest": "has a version", "all": "has a version",
                "alias": f"has alias @{self.value}",
                "stage": f"has a version in stage {self.value}"}[self.kind]
        return f"no registered model matching {self.glob!r} {what}"


def parse(uri: str) -> Selection | None:
    """The registry selection of a ``models:/`` URI, or None when it names one version (or
    one logged model) and is resolved as before. Raises TargetFailed for malformed ones."""
    rest = uri[len("models:/"):].strip("/")
    if not rest:
        return Selection("*", "latest")
    parts = rest.split("/")
    if len(parts) > 2 or not parts[0]:
        raise TargetFailed(f"not a model URI; expected {FORMS}")
    name, suffix = parts[0], parts[1] if len(parts) == 2 else None
    if suffix is None and "@" in name:
        name, alias = name.rsplit("@", 1)
        if not name or not alias:
            raise TargetFailed(f"empty name or alias; expected {FORMS}")
        return Selection(name, "alias", alias) if "*" in name else None
    if suffix == "*":
        return Selection(name, "all")
    if "*" not in name:
        return None
    if suffix is None or suffix.lower() == "latest":
        return Selection(name, "latest")
    if suffix.isdigit():
        raise TargetFailed(f"version {suffix} of every model matching {name!r} is not a "
                           f"registry selection; expected {FORMS}")
    return Selection(name, "stage", canonical_stage(suffix))


def canonical_stage(stage: str) -> str:
    """MLflow's ``get_canonical_stage``: case-insensitive, one of ALL_STAGES."""
    for s in STAGES:
        if s.lower() == stage.lower():
            return s
    raise TargetFailed(f"invalid model version stage {stage!r}: one of {', '.join(STAGES)}")


def glob_matcher(glob: str) -> Callable[[str], bool]:
    rx = re.compile(".*".join(re.escape(p) for p in glob.split("*")), re.DOTALL)
    return lambda name: rx.fullmatch(name) is not None


def like_filter(glob: str) -> str | None:
    """The server-side filter narrowing the search to ``glob`` (None: everything). Quotes
    and backslashes (no portable way to escape them in MLflow's filter grammar, and a LIKE
    escape on MySQL/PostgreSQL) become ``_``, one any character; ``%``/``_`` in names stay
    wildcards: the answer is matched against the glob exactly afterwards."""
    if glob.strip("*") == "":
        return None
    pattern = "".join("%" if c == "*" else "_" if c in "'\"\\" else c for c in glob)
    return f"name LIKE '{pattern}'"


# -- listing ---------------------------------------------------------------------------------

def _pages(server: Any, path: str, key: str, params: dict[str, Any]) -> Iterator[list[dict]]:
    """Every page of a search endpoint (``page_token`` until the server gives none)."""
    params = dict(params)
    seen: set[str] = set()
    while True:
        page = server.get(path, params)
        yield page.get(key, [])
        token = page.get("next_page_token")
        if not token or token in seen:  # a server repeating a token would loop forever
            return
        seen.add(token)
        params["page_token"] = token


def model_pages(server: Any, sel: Selection) -> Iterator[list[dict]]:
    params: dict[str, Any] = {"max_results": MODEL_PAGE, "order_by": ["name ASC"]}
    flt = like_filter(sel.glob)
    if flt:
        params["filter"] = flt
    match = glob_matcher(sel.glob)
    for page in _pages(server, f"{API}/registered-models/search", "registered_models", params):
        yield [m for m in page if match(m.get("name", ""))]


def version_pages(server: Any, sel: Selection) -> Iterator[list[dict]]:
    params: dict[str, Any] = {"max_results": VERSION_PAGE,
                              "order_by": ["name ASC", "version_number ASC"]}
    flt = like_filter(sel.glob)
    if flt:
        params["filter"] = flt
    match = glob_matcher(sel.glob)
    for page in _pages(server, f"{API}/model-versions/search", "model_versions", params):
        yield [v for v in page if match(v.get("name", ""))]


def aliases_of(model: dict[str, Any]) -> dict[str, list[str]]:
    """version -> the aliases pointing at it."""
    out: dict[str, list[str]] = {}
    for a in model.get("aliases", []) or []:
        out.setdefault(str(a.get("version", "")), []).append(str(a.get("alias", "")))
    return out


def pick(model: dict[str, Any], sel: Selection) -> tuple[str, dict[str, Any] | None] | None:
    """The version ``sel`` selects in one registered model (with its version record when
    the search gave it), or None when it selects none there."""
    latest = model.get("latest_versions", []) or []  # the latest version per stage
    if sel.kind == "alias":
        version = next((str(a.get("version")) for a in model.get("aliases", []) or []
                        if a.get("alias") == sel.value), None)
        if version is None:
            return None
        return version, next((v for v in latest if str(v.get("version")) == version), None)
    if sel.kind == "stage":
        latest = [v for v in latest if v.get("current_stage") == sel.value]
    if not latest:
        return None
    best = max(latest, key=lambda v: int(v.get("version", 0)))
    return str(best["version"]), best


def provenance(name: str, version: str, selected_by: str, aliases: list[str],
               record: dict[str, Any] | None) -> dict[str, str]:
    prov = {"model": name, "version": version, "selected_by": selected_by,
            "aliases": ",".join(sorted(aliases))}
    if record is not None:
        fill(prov, record)
    return prov


def fill(prov: dict[str, str], record: dict[str, Any]) -> None:
    """The version record's own facts (stage, run, source, status) into ``prov``."""
    prov["stage"] = str(record.get("current_stage") or "None")
    prov["run_id"] = str(record.get("run_id") or "")
    prov["source"] = str(record.get("source") or "")
    prov["status"] = str(record.get("status") or "")


def plan_registry(target: str, sel: Selection, server: Any, options: SourceOptions,
                  resolve: Callable[[str, str, str], Source]) -> Iterator[Job]:
    """The jobs of a registry target, yielded as the search pages land.

    The first page is asked for before this returns (an unreachable server, a denied
    search or a bad filter raise TargetFailed for the whole target); a page that fails
    later becomes one failed job in its place, and the versions yielded so far stand.
    ``resolve(display, name, version)`` builds a version's source (on a worker)."""
    if sel.kind == "all":
        pages = version_pages(server, sel)
    else:
        pages = model_pages(server, sel)
    try:
        first = next(pages, [])
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise TargetFailed(f"cannot search the registry at {server.base}: {exc}") from exc
    return _jobs(target, sel, server, first, pages, resolve)


def _jobs(target: str, sel: Selection, server: Any, first: list[dict],
          pages: Iterator[list[dict]], resolve: Callable[[str, str, str], Source]
          ) -> Iterator[Job]:
    yielded: set[tuple[str, str]] = set()  # offset paging can repeat a row if the
    models = _Models(server, sel) if sel.kind == "all" else None  # registry changes
    page: list[dict] | None = first
    while page is not None:
        for rec in page:
            try:
                if models is None:
                    got = pick(rec, sel)
                    if got is None:
                        continue
                    name, (version, vrec) = rec["name"], got
                    aliases = aliases_of(rec).get(version, [])
                else:
                    name, version, vrec = rec["name"], str(rec["version"]), rec
                    aliases = models.aliases(name).get(version, [])
            except (OSError, KeyError, TypeError, ValueError) as exc:
                yield _failed(target, f"the registry listing stopped: {exc}")
                return
            if (name, version) in yielded:
                continue
            yielded.add((name, version))
            prov = provenance(name, version, sel.label, aliases, vrec)
            yield version_job(server, resolve, f"models:/{name}/{version}", prov)
        try:
            page = next(pages, None)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            yield _failed(target, f"the registry listing stopped after {len(yielded)} "
                                  f"versions: {exc}")
            return
    if not yielded:
        yield _failed(target, sel.describe())


def version_job(server: Any, resolve: Callable[[str, str, str], Source], display: str,
                prov: dict[str, str]) -> Job:
    """One model version to check: nothing is asked of the server until a worker builds
    its source; a failure then is that version's, with its provenance."""
    name, version = prov["model"], prov["version"]
    return Job(display, lambda: LazyVersion(
        display, lambda: _resolved(server, resolve, display, name, version, prov)), prov)


class _Models:
    """Registered models (for their aliases) paged alongside the versions: both searches
    are sorted by name, so the model a version needs is at most a page ahead."""

    def __init__(self, server: Any, sel: Selection) -> None:
        self.server = server
        self.pages = model_pages(server, sel)
        self.known: dict[str, dict[str, list[str]]] = {}
        self.done = False

    def aliases(self, name: str) -> dict[str, list[str]]:
        while name not in self.known and not self.done:
            page = next(self.pages, None)
            if page is None:
                self.done = True
                break
            for m in page:
                self.known[m["name"]] = aliases_of(m)
        if name not in self.known:  # registered after its page went by
            try:
                got = self.server.get(f"{API}/registered-models/get", {"name": name})
                self.known[name] = aliases_of(got.get("registered_model", {}))
            except FileNotFoundError:  # deleted meanwhile: its version is checked anyway
                self.known[name] = {}
        return self.known[name]


def _failed(target: str, why: str) -> Job:
    def make() -> Source:
        raise TargetFailed(why)

    return Job(target, make)


def _resolved(server: Any, resolve: Callable[[str, str, str], Source], display: str,
              name: str, version: str, prov: dict[str, str]) -> Source:
    """A version's source, on the worker; its provenance completed first when the listing
    did not carry the version's record (an alias pointing at an older version)."""
    try:
        if "status" not in prov:
            got = server.get(f"{API}/model-versions/get", {"name": name, "version": version})
            fill(prov, got.get("model_version", {}))
        return resolve(display, name, version)
    except TargetFailed as exc:
        raise TargetFailed(f"{exc}{run_note(server, prov)}") from exc
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise TargetFailed(f"cannot read model version {name}/{version}: {exc}"
                           f"{run_note(server, prov)}") from exc


def run_note(server: Any, prov: dict[str, str]) -> str:
    """Why a version's artifacts may be gone: its run was deleted (asked only on failure)."""
    run_id = prov.get("run_id")
    if not run_id:
        return ""
    try:
        info = server.get(f"{API}/runs/get", {"run_id": run_id})["run"]["info"]
    except FileNotFoundError:
        return f" (its run {run_id} no longer exists)"
    except (OSError, KeyError, TypeError, ValueError):
        return ""
    return f" (its run {run_id} is deleted)" if info.get("lifecycle_stage") == "deleted" else ""


class LazyVersion(Source):
    """A model version's source, built on first use: the feeding thread only makes this
    (``loop`` is None, so the scan fetches and checks it on a worker thread, where the
    version's location is asked for and its files listed)."""

    loop = None

    def __init__(self, display: str, build: Callable[[], Source]) -> None:
        self.display = display
        self._build = build
        self._lock = threading.Lock()
        self._inner: Source | None = None
        self._error: BaseException | None = None

    def inner(self) -> Source:
        with self._lock:
            if self._inner is None and self._error is None:
                try:
                    self._inner = self._build()
                except Exception as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._inner is not None
            return self._inner

    def prefetch(self, cap: int, pickle_cap: int = 0) -> None:
        inner = self.inner()
        fetch = getattr(inner, "prefetch", None)
        if fetch is not None:
            fetch(cap, pickle_cap)

    def failed(self, rel: str) -> BaseException | None:
        check = getattr(self.inner(), "failed", None)
        return check(rel) if check is not None else None

    @property
    def problems(self) -> list[str]:
        return list(getattr(self.inner(), "problems", ()))

    @property
    def walk_first(self) -> bool:  # type: ignore[override]
        return self.inner().walk_first

    @property
    def walk_failures(self):  # type: ignore[override]
        return self.inner().walk_failures

    def entry(self, rel: str) -> Entry:
        return self.inner().entry(rel)

    def read(self, rel: str, limit: int) -> bytes:
        return self.inner().read(rel, limit)

    def mapped(self, rel: str):
        return self.inner().mapped(rel)

    def walk(self, max_entries: int) -> tuple[list[Entry], bool]:
        return self.inner().walk(max_entries)

    def __getattr__(self, name: str) -> Any:  # what a source may offer beyond the interface
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.inner(), name)
