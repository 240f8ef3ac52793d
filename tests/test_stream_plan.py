"""Bucket jobs planned while the listing pages in (modelcheck/sources/stream_plan.py), against
a real moto server: the same jobs in the same order as the whole listing's plan, for roots of
every shape discovery knows (folders whose names sort around "/", nested packages, packages
that lost MLmodel, virtualenvs, skipped folders, folder markers, a root that is a package),
over many small pages; the first jobs come before the last page is asked for; a root that
cannot be listed fails as it always did."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402

from modelcheck.sources import s3_list  # noqa: E402
from modelcheck.sources.plan import SourceOptions, TargetFailed, plan_fsspec  # noqa: E402
from modelcheck.sources.stream_plan import stream_fsspec  # noqa: E402

ML = b"flavors: {}\n"
KEYS = {
    # folders whose names sort before and after "/" ("a-c/" < "a.b/" < "a/" < "a0/")
    "root/a/MLmodel": ML, "root/a/model.pkl": b"x",
    "root/a/sub/MLmodel": ML,  # a package inside a package
    "root/a-c/MLmodel": ML, "root/a.b/p/MLmodel": ML, "root/a0/q/MLmodel": ML,
    "root/b/lost/conda.yaml": b"name: x\n", "root/b/lost/python_env.yaml": b"python: 3.10\n",
    "root/b/lost/requirements.txt": b"mlflow\n",  # a package that lost its MLmodel
    "root/b/MLModel.yaml/x": b"",  # a folder named like a marker: "b" lost its MLmodel too
    "root/c/env/pyvenv.cfg": b"home = /usr\n", "root/c/env/lib/m/MLmodel": ML,  # virtualenv
    "root/c/node_modules/m/MLmodel": ML,  # skipped folder
    "root/c/ok/MLmodel": ML,
    "root/c/ok/metadata/MLmodel": ML,  # Unity Catalog's copy: part of its package
    "root/d/": b"",  # a folder marker
    "root/d/m/MLmodel": ML,
    "root/README.md": b"not a package\n",  # a file right under the root
    "root/e/f/g/MLmodel": ML,
    "solo/only/one/MLmodel": ML, "solo/only/two/MLmodel": ML,  # one folder: groups below
    "pkgroot/MLmodel": ML, "pkgroot/x/MLmodel": ML,  # the root is a package
    "orphan/conda.yaml": b"", "orphan/python_env.yaml": b"", "orphan/requirements.txt": b"",
    "orphan/in/MLmodel": ML,
    "venv/pyvenv.cfg": b"", "venv/lib/m/MLmodel": ML,
    "none/x/readme.txt": b"",
}


@pytest.fixture(scope="module")
def srv():
    with s3server.s3_server() as server:
        s3server.make_bucket(server.client(), "streams", KEYS)
        yield server


@pytest.fixture
def small_pages():
    saved = s3_list.PAGE_KEYS
    s3_list.PAGE_KEYS = 3  # many pages: folders end in the middle of pages and across them
    yield
    s3_list.PAGE_KEYS = saved


def _displays(jobs) -> list[str]:
    return [j.display for j in jobs]


def _both(srv, url: str) -> tuple[list[str] | str, list[str] | str]:
    opts = SourceOptions(srv.options(), 8)
    out = []
    for planner in (plan_fsspec, stream_fsspec):
        try:
            out.append(_displays(planner(url, opts)))
        except TargetFailed as exc:
            out.append(f"TargetFailed: {exc}")
    return out[0], out[1]


@pytest.mark.parametrize("url", [
    "s3://streams/root", "s3://streams/root/", "s3://streams/solo", "s3://streams",
    "s3://streams/pkgroot", "s3://streams/orphan", "s3://streams/venv", "s3://streams/none",
    "s3://streams/root/c", "s3://streams/absent", "s3://streams/root/a/MLmodel",
])
def test_same_jobs_in_the_same_order_as_the_whole_listing(srv, small_pages, url):
    whole, streamed = _both(srv, url)
    assert streamed == whole
    if url == "s3://streams/root":  # the shapes above are all there, in discovery's order
        assert whole == [f"s3://streams/root/{p}" for p in (
            "a", "a-c", "a.b/p", "a/sub", "a0/q", "b", "b/lost", "c/ok", "d/m", "e/f/g")]


def test_same_jobs_with_pages_of_the_default_size(srv):
    whole, streamed = _both(srv, "s3://streams/root")
    assert streamed == whole and len(whole) == 10


def test_first_jobs_come_before_the_listing_ends():
    """With S3-like latency (+50 ms a request) and one key per page, the listing of the root
    takes ~30 round trips: the first job comes after the few that complete its folder, long
    before the last page is asked for (the listing keeps paging in the background)."""
    saved = s3_list.PAGE_KEYS
    s3_list.PAGE_KEYS = 1
    try:
        with s3server.s3_server(latency_ms=50) as server:
            # 30 more keys at the end (in no package): pages the first job never waits for
            more = {f"root/z/k{i:02d}.txt": b"" for i in range(30)}
            s3server.make_bucket(server.client(), "slow", {**KEYS, **more})
            opts = SourceOptions(server.options(), 8)
            server.stats(reset=True)
            jobs = stream_fsspec("s3://slow/root", opts)
            first = next(jobs)
            early = server.stats()["lists"]
            rest = list(jobs)
            total = server.stats()["lists"]
    finally:
        s3_list.PAGE_KEYS = saved
    assert first.display == "s3://slow/root/a"
    # "a" is complete once a key of the next folder ("a0/") arrived: the root's level (one
    # page per entry) and ~8 keys asked for by then, against every key of the root
    n_root = sum(k.startswith("root/") for k in KEYS) + len(more)
    assert total >= n_root and early <= total - 20, (early, total)
    assert len(rest) == 9


def test_a_denied_listing_fails_as_before(srv):
    srv.deny("streams/")
    try:
        whole, streamed = _both(srv, "s3://streams/root")
    finally:
        srv.deny()
    assert isinstance(whole, str) and "denied" in whole.lower()
    assert streamed == whole


@pytest.fixture
def two_pages():
    saved = s3_list.PAGE_KEYS
    s3_list.PAGE_KEYS = 10  # the root's level in one page, its recursive listing in two
    yield
    s3_list.PAGE_KEYS = saved


def test_a_listing_failing_after_the_first_jobs_goes_on_through_s3fs(srv, two_pages):
    """The direct listing gives up after its first page (five jobs ready by then): the rest
    is listed through s3fs, and the jobs are still the whole listing's."""
    opts = SourceOptions(srv.options(), 8)
    whole = _displays(plan_fsspec("s3://streams/root", opts))
    srv.deny("streams/?continuation@modelcheck")  # later pages, to the direct reader only
    srv.stats(reset=True)
    try:
        streamed = _displays(stream_fsspec("s3://streams/root", opts))
    finally:
        srv.deny()
    assert streamed == whole
    # the level, the first page, the denied second one, s3fs's one page: not planned again
    assert srv.stats()["lists"] == 4


def test_a_listing_failing_everywhere_after_the_first_jobs_is_a_failing_job(srv, two_pages):
    """Later pages denied to the direct reader, and s3fs's listing denied: the jobs given
    stay, and what could not be listed is one job that fails, named and explained (never
    silence)."""
    opts = SourceOptions(srv.options(), 8)
    whole = _displays(plan_fsspec("s3://streams/root", opts))
    srv.deny("streams/?continuation@modelcheck", "streams/@!modelcheck")
    try:
        jobs = list(stream_fsspec("s3://streams/root", opts))
    finally:
        srv.deny()
    given = _displays(jobs[:-1])
    assert given == whole[:5]
    last = jobs[-1]
    assert last.display == "s3://streams/root"
    with pytest.raises(TargetFailed, match="cannot list the rest: access denied"):
        last.make()
