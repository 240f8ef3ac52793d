"""MLflow URIs (``models:/``, ``runs:/``, ``mlflow-artifacts:/``) resolved over REST.

The tracking server (``MLFLOW_TRACKING_URI``; auth from ``MLFLOW_TRACKING_TOKEN`` or
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD``) is asked where the artifacts are;
mlflow itself is never imported. A location that is a URL or local path is scanned like any
other target; served artifacts (``mlflow-artifacts:``) are listed and read through the
server's artifact proxy (:class:`ArtifactsFS` under a listing source). A ``models:/`` URI
naming one version is the package at the root of that version's artifacts (what MLflow
loads), with its provenance; name globs and every-version targets are planned by
:mod:`modelcheck.sources.mlflow_registry`.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import posixpath
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlencode, urlparse

from modelcheck.sources.base import Source
from modelcheck.sources.fsspec_source import Listing
from modelcheck.sources.mlflow_http import Pool
from modelcheck.sources.plan import (
    Job,
    SourceOptions,
    TargetFailed,
    file_url_path,
    plan_fsspec,
    plan_local,
)

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
MAX_LISTED = 100_000
TIMEOUT = 30.0
KEEPALIVE = True  # requests on pooled keep-alive connections (False: urllib, one each)


class Counter:
    """A thread-safe count; ``next()`` gives the value before the increment, like
    ``itertools.count``, and ``value`` reads it without counting."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def __iter__(self) -> Counter:
        return self

    def __next__(self) -> int:
        with self._lock:
            self.value += 1
            return self.value - 1


# requests sent to MLflow servers by this process, and of them artifact downloads (the
# registry bench and tests read them)
REQUESTS = Counter()
ARTIFACT_GETS = Counter()


def counts() -> tuple[int, int]:
    """(requests, artifact downloads) sent so far."""
    return REQUESTS.value, ARTIFACT_GETS.value


class Server:
    """A tracking server reached with stdlib urllib (JSON REST and artifact downloads)."""

    def __init__(self, base: str, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        self.base = base.rstrip("/")
        self.headers = {"User-Agent": "modelcheck"}
        if env.get("MLFLOW_TRACKING_TOKEN"):
            self.headers["Authorization"] = f"Bearer {env['MLFLOW_TRACKING_TOKEN']}"
        elif env.get("MLFLOW_TRACKING_USERNAME"):
            pair = f"{env['MLFLOW_TRACKING_USERNAME']}:{env.get('MLFLOW_TRACKING_PASSWORD', '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self.context: ssl.SSLContext | None = None
        if env.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
            self.context = ssl._create_unverified_context()  # noqa: S323 - user asked for it
        self._pool: Pool | None = None
        self._opener: urllib.request.OpenerDirector | None = None
        self._pool_lock = threading.Lock()

    @property
    def pool(self) -> Pool:
        """Keep-alive connections (made on first use: ``context`` may be set after init)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = Pool(self.base, self.context, TIMEOUT)
            return self._pool

    @property
    def opener(self) -> urllib.request.OpenerDirector:
        """urllib, for what the pool leaves to it (a proxy, a redirect); the proxies are
        read from the environment when the pool is made, like the pool's own choice."""
        with self._pool_lock:
            if self._opener is None:
                handlers: list[Any] = [urllib.request.ProxyHandler()]
                if self.context is not None:
                    handlers.append(urllib.request.HTTPSHandler(context=self.context))
                self._opener = urllib.request.build_opener(*handlers)
            return self._opener

    @classmethod
    def from_env(cls) -> Server:
        uri = os.environ.get("MLFLOW_TRACKING_URI", "")
        if not uri.startswith(("http://", "https://")):
            shown = f" (it is {uri!r})" if uri else ""
            raise TargetFailed("MLflow URIs need MLFLOW_TRACKING_URI set to the tracking "
                               f"server's http(s) URL{shown}")
        return cls(uri)

    def open(self, path: str, *, data: Any = None, headers: dict[str, str] | None = None):
        body = None if data is None else json.dumps(data).encode()
        hdrs = dict(self.headers, **(headers or {}))
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        next(REQUESTS)
        if KEEPALIVE and self.pool.direct:
            try:
                resp = self.pool.request("GET" if body is None else "POST", path, body, hdrs)
            except (OSError, http.client.HTTPException) as exc:
                raise OSError(f"cannot reach {self.base}: {exc}") from exc
            if resp is not None and resp.status >= 400:
                with resp:
                    detail = _detail(resp.read(65536), resp.reason)
                raise _http_error(resp.status, path, detail)
            if resp is not None:
                return resp
        req = urllib.request.Request(self.base + path, data=body, headers=hdrs)
        try:
            return self.opener.open(req, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            raise _http_error(exc.code, path, _error_detail(exc)) from exc
        except urllib.error.URLError as exc:
            raise OSError(f"cannot reach {self.base}: {exc.reason}") from exc

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        with self.open(path + query) as resp:
            return json.loads(resp.read() or b"{}")

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.open(path, data=body) as resp:
            return json.loads(resp.read() or b"{}")


def _http_error(code: int, path: str, detail: str) -> OSError:
    if code in (401, 403):
        return PermissionError(f"HTTP {code} from {path}: {detail}")
    if code == 404:
        return FileNotFoundError(f"HTTP 404 from {path}: {detail}")
    return OSError(f"HTTP {code} from {path}: {detail}")


def _detail(body: bytes, reason: str) -> str:
    try:
        doc = json.loads(body or b"{}")
        return f"{doc.get('error_code', '')}: {doc.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        return reason or ""


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        return _detail(exc.read(4096), exc.reason)
    except OSError:
        return exc.reason or ""


# -- resolving URIs to artifact locations --------------------------------------------------------

def resolve(uri: str, server: Server) -> str:
    """The artifact location (URL, local path or ``mlflow-artifacts:`` URI) behind ``uri``."""
    if uri.startswith("models:/"):
        return _resolve_model(uri, server)
    if uri.startswith("runs:/"):
        return _resolve_run(uri, server)
    return uri


def _resolve_model(uri: str, server: Server) -> str:
    picked = registry_version(uri, server)
    if isinstance(picked, str):  # models:/<model_id>: the logged model's location
        return picked
    return download_uri(server, picked[0], picked[1])


def registry_version(uri: str, server: Server) -> tuple[str, str, str] | str:
    """``(name, version, selected_by)`` of a ``models:/`` URI naming one registry version;
    for ``models:/<model_id>`` (an MLflow 3 logged model) its artifact location instead."""
    from modelcheck.sources.mlflow_registry import FORMS, canonical_stage

    parts = uri[len("models:/"):].strip("/").split("/")
    if not parts[0] or len(parts) > 2:
        raise TargetFailed(f"not a model URI; expected {FORMS}, or models:/<model_id>")
    if len(parts) == 1 and "@" in parts[0]:
        name, alias = parts[0].rsplit("@", 1)
        mv = server.get(f"{API}/registered-models/alias", {"name": name, "alias": alias})
        return name, str(mv["model_version"]["version"]), f"@{alias}"
    if len(parts) == 1:  # models:/<model_id> (MLflow 3 logged model), or a name alone
        return _logged_model(parts[0], server)
    name, suffix = parts
    if suffix.isdigit():
        return name, suffix, "version"
    stages = [] if suffix.lower() == "latest" else [canonical_stage(suffix)]
    got = server.get(f"{API}/registered-models/get-latest-versions",
                     {"name": name, "stages": stages})
    versions = [int(v["version"]) for v in got.get("model_versions", [])]
    if not versions:
        raise TargetFailed(f"registered model {name!r} has no version"
                           + (f" in stage {stages[0]!r}" if stages else ""))
    return name, str(max(versions)), stages[0] if stages else "latest"


def _logged_model(ref: str, server: Server) -> str:
    from modelcheck.sources.mlflow_registry import FORMS

    try:
        model = server.get(f"{API}/logged-models/{quote(ref, safe='')}")
    except FileNotFoundError:  # no logged model by that ID (or an MLflow 2 server)
        try:
            server.get(f"{API}/registered-models/get", {"name": ref})
        except FileNotFoundError:
            raise TargetFailed(f"no registered model and no logged model named {ref!r}; "
                               f"expected {FORMS}, or models:/<model_id>") from None
        raise TargetFailed(f"models:/{ref} names a registered model but no version: say "
                           f"which; expected {FORMS}") from None
    return model["model"]["info"]["artifact_uri"]


def download_uri(server: Server, name: str, version: str) -> str:
    """Where a version's files are (what MLflow's client asks: ``get-download-uri``)."""
    got = server.get(f"{API}/model-versions/get-download-uri",
                     {"name": name, "version": version})
    location = got.get("artifact_uri") or ""
    if location.startswith("models:/"):  # a version that points at a logged model
        return _resolve_model(location, server)
    if location.startswith("runs:/"):  # registered from runs:/RUN/PATH: stored as given, and
        return _resolve_run(location, server)  # resolved by MLflow's client when loaded
    if not location:
        raise TargetFailed(f"model version {name}/{version} has no artifact location")
    return location


def version_provenance(server: Server, name: str, version: str, selected_by: str
                       ) -> dict[str, str]:
    """A version's provenance from ``model-versions/get`` (its aliases included)."""
    from modelcheck.sources.mlflow_registry import fill, provenance

    rec = server.get(f"{API}/model-versions/get", {"name": name, "version": version})
    rec = rec.get("model_version", {})
    prov = provenance(name, version, selected_by, [str(a) for a in rec.get("aliases", [])],
                      None)
    fill(prov, rec)
    return prov


def _resolve_run(uri: str, server: Server) -> str:
    rest = uri[len("runs:/"):].strip("/")
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise TargetFailed("expected runs:/<run_id>/<path>")
    info = server.get(f"{API}/runs/get", {"run_id": run_id})["run"]["info"]
    if path:  # MLflow 3: runs:/<run>/<name> names the run's logged model called <name>
        name, _, inner = path.partition("/")
        model = _logged_model_of_run(server, info, name)
        if model is not None:
            return model.rstrip("/") + (f"/{inner}" if inner else "")
    base = info["artifact_uri"].rstrip("/")
    return f"{base}/{path}" if path else base


def _logged_model_of_run(server: Server, info: dict[str, Any], name: str) -> str | None:
    body: dict[str, Any] = {"experiment_ids": [info["experiment_id"]],
                            "filter": f"name = '{name}'"}
    try:
        while True:
            page = server.post(f"{API}/logged-models/search", body)
            for m in page.get("models", []):
                if m.get("info", {}).get("source_run_id") == info["run_id"]:
                    return m["info"]["artifact_uri"]
            if not page.get("next_page_token"):
                return None
            body["page_token"] = page["next_page_token"]
    except FileNotFoundError:  # MLflow 2 servers have no logged models
        return None


# -- served artifacts (mlflow-artifacts:) --------------------------------------------------------

def artifacts_server(uri: str, tracking: Server) -> tuple[Server, str]:
    """The server and the artifact path of an ``mlflow-artifacts:`` URI."""
    p = urlparse(uri)
    if p.netloc:  # mlflow-artifacts://host:port/path names its own server
        scheme = urlparse(tracking.base).scheme or "http"
        server = Server(f"{scheme}://{p.netloc}")
        server.headers, server.context = tracking.headers, tracking.context
    else:
        server = tracking
    return server, p.path.strip("/")


class ArtifactsFS:
    """The few filesystem calls a listing source needs, over the artifact proxy."""

    def __init__(self, server: Server, jobs: int = 8) -> None:
        self.server = server
        self.jobs = jobs

    def _url(self, path: str) -> str:
        return f"{ARTIFACTS}/{quote(path, safe='/')}"

    def cat_file(self, path: str, start: int = 0, end: int | None = None) -> bytes:
        headers = {"Range": f"bytes=0-{end - 1}"} if end is not None else None
        next(ARTIFACT_GETS)
        with self.server.open(self._url(path), headers=headers) as resp:
            return resp.read() if end is None else resp.read(end)

    def cat(self, paths: list[str], on_error: str = "return") -> dict[str, Any]:
        def one(p: str) -> bytes | BaseException:
            try:
                return self.cat_file(p)
            except Exception as exc:  # noqa: BLE001 - returned like fsspec's on_error
                return exc

        with ThreadPoolExecutor(max_workers=min(self.jobs, len(paths))) as pool:
            return dict(zip(paths, pool.map(one, paths), strict=True))

    def find(self, root: str, detail: bool = True, withdirs: bool = False) -> dict[str, dict]:
        """Recursive listing, one request per folder, folders listed concurrently."""
        out: dict[str, dict] = {}
        level = [root]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while level and len(out) < MAX_LISTED:
                nxt: list[str] = []
                for folder, files in zip(level, pool.map(self._ls, level), strict=True):
                    for f in files:
                        path = posixpath.join(folder, f["path"]) if folder else f["path"]
                        if f.get("is_dir"):
                            nxt.append(path)
                        else:
                            out[path] = {"name": path, "type": "file",
                                         "size": int(f.get("file_size") or 0)}
                level = nxt
        return out

    def _ls(self, folder: str) -> list[dict[str, Any]]:
        got = self.server.get(ARTIFACTS, {"path": folder} if folder else None)
        return got.get("files", [])


def plan_served(uri: str, display: str, tracking: Server, jobs: int) -> list[Job]:
    server, root = artifacts_server(uri, tracking)
    fs = ArtifactsFS(server, max(1, min(jobs or 8, 16)))
    try:
        listing = Listing.of(fs, root, display)
    except Exception as exc:  # noqa: BLE001 - denied, missing, unreachable
        raise TargetFailed(f"cannot list the served artifacts at {uri}: {exc}") from exc
    pkgs = listing.packages()
    if not pkgs:
        raise TargetFailed(f"no MLflow model package (no MLmodel file) at {uri}")

    # ListingSource over ArtifactsFS: entry/walk from the listing, reads through the proxy
    return [Job(listing.url + (f"/{p}" if p else ""), lambda p=p: listing.source(p))
            for p in pkgs]


def plan_mlflow(target: str, options: SourceOptions) -> Iterable[Job]:
    """Resolve an MLflow URI and plan the packages at its artifact location; a registry
    target (a name glob, every version) is planned as a stream of versions."""
    if target.startswith("mlflow-artifacts:") and urlparse(target).netloc:
        tracking = Server.from_env() if os.environ.get("MLFLOW_TRACKING_URI") else Server(
            "http://" + urlparse(target).netloc)
    else:
        tracking = Server.from_env()
    try:
        if target.startswith("models:/"):
            from modelcheck.sources.mlflow_registry import parse, plan_registry, version_job

            def resolve_version(display: str, name: str, version: str) -> Source:
                return version_source(tracking, options, display, name, version)

            sel = parse(target)
            if sel is not None:
                return plan_registry(target, sel, tracking, options, resolve_version)
            picked = registry_version(target, tracking)
            if not isinstance(picked, str):  # one registry version, read on a worker
                return [version_job(tracking, resolve_version, target.rstrip("/"),
                                    version_provenance(tracking, *picked))]
            location = picked
        else:
            location = resolve(target, tracking)
    except TargetFailed:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise TargetFailed(f"unexpected answer from the tracking server: {exc!r}") from exc
    except OSError as exc:
        raise TargetFailed(f"cannot resolve through {tracking.base}: {exc}") from exc
    return plan_location(location, target.rstrip("/"), tracking, options)


def plan_location(location: str, display: str, tracking: Server, options: SourceOptions
                  ) -> list[Job]:
    """The packages at an artifact location, shown under ``display``."""
    if location.startswith("mlflow-artifacts:"):
        return plan_served(location, display, tracking, options.jobs)
    if location.startswith("file:") or location.startswith("/"):
        path = file_url_path(location) if location.startswith("file:") else location
        if not os.path.exists(path):
            raise TargetFailed(f"artifact location {path} is a path on the tracking server's "
                               "machine, and this machine has nothing there: run modelcheck "
                               "where the files are, or serve the artifacts (mlflow server "
                               "--serve-artifacts) or store them on a bucket")
        return plan_local(path, display)
    if "://" in location:
        jobs = plan_fsspec(location, options)
        base = location.rstrip("/")
        return [Job(display + j.display[len(base):], j.make) for j in jobs]
    raise TargetFailed(f"artifact location {location!r} is not a URL this tool can read")


def version_source(tracking: Server, options: SourceOptions, display: str, name: str,
                   version: str) -> Source:
    """The package of one registry version, read through the served artifacts or the
    bucket's reader (see :func:`root_package`); a failure names the location."""
    location = download_uri(tracking, name, version)
    try:
        return root_package(location, display, tracking, options).make()
    except TargetFailed as exc:
        if location in str(exc):
            raise
        raise TargetFailed(f"{location}: {exc}") from exc


def root_package(location: str, display: str, tracking: Server, options: SourceOptions
                 ) -> Job:
    """The package at the root of a model version's artifacts: what MLflow loads for
    ``models:/NAME/VERSION``; a version whose root has no MLmodel cannot be loaded."""
    jobs = plan_location(location, display, tracking, options)
    for job in jobs:
        if job.display == display:
            return job
    inner = ", ".join(j.display[len(display) + 1:] for j in jobs[:3])
    raise TargetFailed(f"no MLmodel at the root of {location}, so MLflow cannot load "
                       f"{display} (a package one level down: {inner}; register that "
                       "folder instead)")
