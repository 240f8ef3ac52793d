"""Where the packages under a URL are: one :class:`Job` per package, made without reading it.

``plan_local`` (a local tree shown under a URL) and ``plan_fsspec`` (fsspec URLs: ``s3://``,
``gs://``, ``az://``...) list a target once; each job builds the package's source when it is
checked. Nothing here checks a package: :mod:`modelcheck.scan.remote` runs the jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from modelcheck.records import FACTORY, Record
from modelcheck.sources.base import Source

DEFAULT_JOBS = 16
MLFLOW_PREFIXES = ("models:/", "runs:/", "mlflow-artifacts:/")


@dataclass
class Job:
    """One package to check: how to show it and how to build its source; for a registry
    package, where it came from (copied to its ``PackageResult.provenance``)."""

    display: str
    make: Callable[[], Source]
    provenance: dict[str, str] | None = None


class TargetFailed(Exception):
    """A whole target could not be listed or resolved (message says why)."""


class SourceOptions(Record):
    """What a remote source needs from the settings: the backend's storage options, and
    how many packages the scan keeps in flight (0: the default)."""

    _fields = ("storage_options", "jobs")

    def __init__(self, storage_options: dict[str, Any] = FACTORY, jobs: int = 0) -> None:
        self.storage_options = {} if storage_options is FACTORY else storage_options
        self.jobs = jobs


def file_url_path(url: str) -> str:
    p = urlparse(url)
    if p.netloc not in ("", "localhost"):
        raise TargetFailed(f"file URL with a remote host {p.netloc!r} is not supported")
    return unquote(p.path) or "/"


def plan_local(path: str, display: str) -> list[Job]:
    """A local tree shown under a URL (file:// targets, local MLflow artifact locations)."""
    from modelcheck.sources.discovery import discover
    from modelcheck.sources.local import LocalSource

    found, errors = discover([path])
    if errors:
        raise TargetFailed(errors[0].split(": ", 1)[-1])
    base = os.path.abspath(path)
    display = display.rstrip("/")
    jobs = []
    for t in found:
        rel = os.path.relpath(os.path.abspath(t.path), base).replace(os.sep, "/")
        shown = display if rel == "." else f"{display}/{rel}"
        jobs.append(Job(shown, lambda p=t.path, s=shown: LocalSource(p, s)))
    return jobs


def plan_fsspec(url: str, options: SourceOptions) -> list[Job]:
    from modelcheck.sources.fsspec_source import (
        BackendMissing,
        Listing,
        fast_timestamps,
        open_url,
    )

    try:
        fs, root = open_url(url, pool_options(url, options))
    except BackendMissing as exc:
        raise TargetFailed(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - bad options, bad URL
        raise TargetFailed(f"cannot open: {type(exc).__name__}: {exc}") from exc
    fast_timestamps(fs)
    protocol = url.split("://", 1)[0]
    url = url.rstrip("/")
    try:
        listing = Listing.of(fs, root, url)
        if not listing.keys:
            listing = _file_target(fs, root, url, protocol)
    except TargetFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - denied, missing bucket, network
        from modelcheck.sources.fsspec_source import describe_error

        what = "does not exist" if isinstance(exc, FileNotFoundError) else describe_error(exc)
        raise TargetFailed(f"cannot list: {what}") from exc
    pkgs = listing.packages()
    if not pkgs:
        raise TargetFailed("no MLflow model package (no MLmodel file) found here")
    return [Job(listing.url + (f"/{p}" if p else ""), lambda p=p: listing.source(p))
            for p in pkgs]


def pool_options(url: str, options: SourceOptions) -> dict:
    """Storage options, with an S3 connection pool big enough for ``--jobs`` packages'
    batches (botocore's default of 10 connections would cap the requests in flight)."""
    opts = dict(options.storage_options)
    if url.split("://", 1)[0].lower() not in ("s3", "s3a"):
        return opts
    if any(k == "config_kwargs.max_pool_connections" or k == "config_kwargs" for k in opts):
        return opts  # the user's choice
    jobs = options.jobs or DEFAULT_JOBS
    opts["config_kwargs.max_pool_connections"] = max(10, min(256, 8 * jobs))
    return opts


def _file_target(fs, root: str, url: str, protocol: str):
    """A URL naming one object: list the package that holds it (walking up to MLmodel)."""
    from modelcheck.sources.fsspec_source import Listing

    info = fs.info(root)  # FileNotFoundError when nothing is there
    if info.get("type") != "file":
        raise TargetFailed("no MLflow model package (no MLmodel file) found here")
    cur = root.rsplit("/", 1)[0]
    while "/" in cur:
        if fs.exists(f"{cur}/MLmodel"):
            return Listing.of(fs, cur, f"{protocol}://{cur}")
        cur = cur.rsplit("/", 1)[0]
    raise TargetFailed("not inside an MLflow model package (no MLmodel above)")


