"""Bucket scans against a real S3-compatible server (moto's) on 127.0.0.1.

A bucket of ~200 packages copied from real ones (some broken, some nested, a venv and a
non-package folder to skip) is scanned over HTTP and compared, package by package, with a
local scan of the same tree. The server answers 403 AccessDenied for some objects and for the
listing of one whole bucket: those become notifications and MC902 findings (exit 2), the rest
is reported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402
from helpers import finding_key  # noqa: E402

from modelcheck.api import check
from modelcheck.engine.settings import Settings
from modelcheck.package.model_package import ModelPackage
from modelcheck.sources.fsspec_source import Listing, open_url, storage_options  # noqa: E402
from modelcheck.sources.s3_direct import PROBE_KEY  # noqa: E402

N_PACKAGES = int(os.environ.get("MODELCHECK_TEST_BUCKET_PACKAGES", "200"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    rels = s3server.make_tree(root, N_PACKAGES)
    good = [r for r in rels if (root / r / "MLmodel").is_file() and (root / r / "conda.yaml")
            .is_file() and "/nested/" not in r]
    denied_ml, denied_env = good[1:3], good[5:7]
    with s3server.s3_server() as srv:
        admin = srv.client()
        for b in ("models", "locked"):
            admin.create_bucket(Bucket=b)
        s3server.upload_tree(admin, "models", root, "fleet")
        s3server.upload_tree(admin, "locked", root / good[0], "x")
        s3server.upload_tree(admin, "models", root / good[0], "scratch/pkg")
        srv.deny(*[f"models/fleet/{r}/MLmodel" for r in denied_ml],
                 *[f"models/fleet/{r}/conda.yaml" for r in denied_env], "locked/")
        creds = ("admin", "admin")
        yield {"root": root, "rels": rels, "srv": srv, "creds": creds,
               "denied_ml": denied_ml, "denied_env": denied_env, "good": good,
               "options": srv.options(*creds)}


def _settings(world, **kw) -> Settings:
    return Settings(storage_options=dict(world["options"]), **kw)


def test_bucket_scan_matches_local_scan(world):
    root: Path = world["root"]
    calls: list[tuple[int, int]] = []
    world["srv"].stats(reset=True)
    remote = check(["s3://models/fleet"], _settings(world, jobs=8),
                   progress=lambda i, n: calls.append((i, n)))
    local = check([str(root)], Settings())

    base = "s3://models/fleet/"
    got = {p.display[len(base):]: p for p in remote.packages}
    want = {os.path.relpath(os.path.abspath(p.display), root).replace(os.sep, "/"): p
            for p in local.packages}
    assert set(got) == set(want)  # the venv and notes/ are skipped by both
    nested = set(want) - set(world["rels"])  # packages inside packages (corpus 011)
    assert set(world["rels"]) <= set(want) and all(n.endswith("/artifacts/model") for n in nested)
    assert calls and calls[-1] == (len(got), len(got))

    denied = set(world["denied_ml"]) | set(world["denied_env"])
    compared = 0
    for rel, lp in want.items():
        if rel in denied:
            continue
        assert [finding_key(f) for f in got[rel].findings] == \
            [finding_key(f) for f in lp.findings], rel
        compared += 1
    assert compared == len(want) - len(denied)
    codes = {f.code for p in local.packages for f in p.findings}
    assert {"MC101", "MC103", "MC501"} <= codes  # the broken copies are really broken

    for rel in world["denied_ml"]:
        (f,) = got[rel].findings
        assert f.code == "MC902" and "MLmodel cannot be read: access denied" in f.message
    for rel in world["denied_env"]:
        assert not [f for f in got[rel].findings if f.code == "MC901"]
        assert any(f"fleet/{rel}/conda.yaml: cannot be read: access denied" in n
                   for n in remote.notifications), remote.notifications
    assert len(remote.notifications) == len(denied)
    assert remote.exit_code() == 2
    # every object GET (denied ones too) came from the direct reader, none from botocore
    agents = world["srv"].stats()["get_agents"]
    assert list(agents) == ["modelcheck"] and agents["modelcheck"] > 3 * len(got), agents


def test_one_get_per_file_read_and_no_other_requests(world, monkeypatch):
    """Request budget of a bucket scan: exactly one GET for each file the rules read (as a
    local scan of the same tree reads them), none for files they do not read, none twice
    (packages nested in packages share theirs), no HEADs, and every GET in the package's
    batch (no second round trip while the rules run)."""
    from modelcheck.sources import fsspec_source
    from modelcheck.sources.local import LocalSource

    root: Path = world["root"]
    read: set[str] = set()
    real_read = LocalSource.read

    def record(self, rel, limit):
        path = Path(self.root, rel)
        if path.stat().st_size:  # an empty file needs no request
            read.add(path.relative_to(root.resolve()).as_posix())
        return real_read(self, rel, limit)

    monkeypatch.setattr(LocalSource, "read", record)
    check([str(root)], Settings(jobs=1))
    sources = []
    real_source = fsspec_source.Listing.source
    monkeypatch.setattr(fsspec_source.Listing, "source",
                        lambda self, pkg: sources.append(real_source(self, pkg)) or sources[-1])
    srv = world["srv"]
    srv.stats(reset=True)
    rep = check(["s3://models/fleet"], _settings(world, jobs=8))
    stats = srv.stats()
    gets = {k.removeprefix("models/fleet/"): n for k, n in stats["gets"].items()}
    gets.pop(f"models/{PROBE_KEY}", None)  # the direct reader's one probe per bucket
    assert {k: n for k, n in gets.items() if n > 1} == {}  # nothing fetched twice
    assert set(gets) == read  # nothing the rules do not read, nothing they read missed
    assert stats["heads"] == 0 and stats["other"] == 0
    keys = sum(1 for p in root.rglob("*") if p.is_file())
    # the one listing (pages of 1000 keys), and the root's own level (one page with a
    # delimiter: its folders, by which the packages are planned while the listing pages in)
    assert stats["lists"] == -(-keys // 1000) + 1
    assert len(rep.packages) == len(sources) and not [s.late for s in sources if s.late]


def test_denied_file_is_an_unreadable_read(world):
    rel = world["denied_env"][0]
    fs, root = open_url(f"s3://models/fleet/{rel}", storage_options(world["options"]))
    src = Listing.of(fs, root, f"s3://models/fleet/{rel}").source("")
    pkg = ModelPackage(src)
    r = pkg.read("conda.yaml")
    assert not r.ok and r.kind == "unreadable" and "access denied" in r.problem
    assert pkg.read("MLmodel").ok
    assert src.entry("conda.yaml").size == (world["root"] / rel / "conda.yaml").stat().st_size


def test_removed_after_listing_is_a_notification(world):
    fs, root = open_url("s3://models/scratch/pkg", storage_options(world["options"]))
    listing = Listing.of(fs, root, "s3://models/scratch/pkg")
    world["srv"].client(*world["creds"]).delete_object(
        Bucket="models", Key="scratch/pkg/requirements.txt")
    src = listing.source("")
    r = ModelPackage(src).read("requirements.txt")
    assert r.kind == "unreadable" and "removed" in r.problem
    assert src.problems == ["s3://models/scratch/pkg/requirements.txt: cannot be read: "
                            "not found (it was listed, then removed)"]


def test_reads_are_ranged_to_the_limit(world):
    big = bytes(range(256)) * (12 * 1024)  # 3 MiB: over WHOLE_BELOW, so reads are ranged
    c = world["srv"].client(*world["creds"])
    c.put_object(Bucket="models", Key="scratch/big/MLmodel", Body=b"flavors: {}\n")
    c.put_object(Bucket="models", Key="scratch/big/weights.bin", Body=big)
    fs, root = open_url("s3://models/scratch/big", storage_options(world["options"]))
    src = Listing.of(fs, root, "x").source("")
    assert src.entry("weights.bin").size == len(big)
    assert src.read("weights.bin", 10) == big[:11]
    assert src.read("weights.bin", len(big)) == big  # a ranged read is not cached as whole
    rel = next(r for r in world["good"][7:] if (world["root"] / r / "model.pkl").is_file())
    fs, root = open_url(f"s3://models/fleet/{rel}", storage_options(world["options"]))
    src = Listing.of(fs, root, "x").source("")
    local = (world["root"] / rel / "model.pkl").read_bytes()
    assert src.read("model.pkl", 10) == local[:11]  # small: fetched whole, cached
    assert src.read("model.pkl", len(local)) == local


def test_big_pickles_join_the_batch_big_binaries_do_not(world):
    c = world["srv"].client(*world["creds"])
    big = b"\x80\x04" + bytes(range(256)) * (8 * 1024)  # 2 MiB: over WHOLE_BELOW
    for key, body in (("MLmodel", b"flavors: {}\n"), ("model.pkl", big), ("w.bin", big),
                      ("model.onnx", big), ("notes.txt", b"hello\n"), ("empty.txt", b"")):
        c.put_object(Bucket="models", Key=f"scratch/bigpkl/{key}", Body=body)
    fs, root = open_url("s3://models/scratch/bigpkl", storage_options(world["options"]))
    src = Listing.of(fs, root, "x").source("")
    assert src.plan(16 << 20, 512 << 20) == ["MLmodel", "model.pkl", "notes.txt"]
    assert src.plan(16 << 20, 1 << 20) == ["MLmodel", "notes.txt"]  # over --max-pickle-bytes
    src.prefetch(16 << 20, 512 << 20)
    assert src.read("model.pkl", 512 << 20) == big and not src.late  # one GET, in the batch
    assert sorted(src.fetched) == ["MLmodel", "model.pkl", "notes.txt"]


def test_unlistable_bucket_is_a_target_error_and_the_rest_goes_on(world):
    rel = world["good"][0]
    rep = check(["s3://locked/x", f"s3://models/fleet/{rel}"], _settings(world))
    first, second = rep.packages
    assert first.display == "s3://locked/x" and first.findings[0].code == "MC902"
    assert "cannot list: access denied" in first.findings[0].message
    assert second.display == f"s3://models/fleet/{rel}"
    assert not [f for f in second.findings if f.code.startswith("MC9")]
    assert rep.notifications == [first.findings[0].message]
    assert rep.exit_code() == 2


def test_missing_prefix_and_non_package_prefix(world):
    rep = check(["s3://models/nothing-here", "s3://models/fleet/team0/notes"],
                _settings(world))
    msgs = [p.findings[0].message for p in rep.packages]
    assert "does not exist" in msgs[0]
    assert "no MLflow model package" in msgs[1]
    assert rep.exit_code() == 2


def test_file_url_inside_a_package_checks_that_package(world):
    rel = world["good"][4]
    rep = check([f"s3://models/fleet/{rel}/conda.yaml"], _settings(world))
    assert [p.display for p in rep.packages] == [f"s3://models/fleet/{rel}"]
    local = check([str(world["root"] / rel)], Settings())
    assert [finding_key(f) for f in rep.findings] == [finding_key(f) for f in local.findings]


def test_file_urls_scan_like_local_paths(world):
    root: Path = world["root"]
    rep = check([f"file://{root}/team3"], Settings())
    local = check([str(root / "team3")], Settings())
    assert len(rep.packages) == len(local.packages) > 10
    assert all(p.display.startswith(f"file://{root}/team3/") for p in rep.packages)
    assert [finding_key(f) for f in rep.findings] == [finding_key(f) for f in local.findings]


def test_cli_json_and_sarif_with_storage_options(world, tmp_path):
    from helpers import run_cli

    opts = []
    for k, v in world["options"].items():
        opts += ["--storage-option", f"{k}={v}"]
    rel = world["good"][0]
    url = f"s3://models/fleet/{rel}"
    sarif = tmp_path / "out.sarif"
    proc = run_cli("check", url, "s3://models/fleet/team0/notes", *opts, "--jobs", "4",
                   "-f", "json", "-o", f"sarif={sarif}")
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert url in json.dumps(doc)
    run = json.loads(sarif.read_text())["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert "://" not in loc
        assert res["properties"]["packageUri"].startswith("s3://models/fleet/")


def test_missing_backend_gives_an_install_hint():
    pytest.importorskip("fsspec")
    try:
        import gcsfs  # noqa: F401
        pytest.skip("gcsfs is installed")
    except ImportError:
        pass
    rep = check(["gs://some-bucket/models"], Settings())
    (f,) = rep.findings
    assert f.code == "MC902"
    assert f.message.endswith("gs:// needs the gcs extra: pip install 'modelcheck[gcs]'")
    assert rep.exit_code() == 2


def test_storage_options_are_typed_and_nested():
    got = storage_options({"anon": "false", "use_ssl": "True", "default_block_size": "5242880",
                           "client_kwargs.endpoint_url": "http://127.0.0.1:9000",
                           "config_kwargs.retries.max_attempts": "3", "token": "00123",
                           "requester_pays": True, "nested": {"ratio": "0.5"}})
    assert got == {"anon": False, "use_ssl": True, "default_block_size": 5242880,
                   "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"},
                   "config_kwargs": {"retries": {"max_attempts": 3}}, "token": "00123",
                   "requester_pays": True, "nested": {"ratio": 0.5}}


def test_fast_timestamps_give_botocore_s_instants():
    from botocore.utils import parse_timestamp

    from modelcheck.sources.fsspec_source import _timestamp_parser

    fast = _timestamp_parser()
    for v in ["2026-11-22T03:40:18.000Z", "2026-11-22T03:40:18Z", "2026-11-22T03:40:18.123456Z",
              "Sun, 22 Nov 2026 03:40:18 GMT", "2026-11-22T03:40:18+01:00", 1700000000,
              "1700000000.5", "Sun, 22 Nov 2026 03:40:18 +0100"]:
        want, got = parse_timestamp(v), fast(v)
        assert got == want and got.utcoffset() == want.utcoffset(), v
    for bad in ["Mon, 29 Feb 2021 00:00:00 GMT", "Sun, 22 Foo 2026 03:40:18 GMT", "soon"]:
        with pytest.raises(ValueError):
            parse_timestamp(bad)
        with pytest.raises(ValueError):
            fast(bad)


def test_s3_connection_pool_is_sized_for_jobs():
    from modelcheck.sources.plan import SourceOptions, pool_options

    # botocore's default pool (10) would cap the requests of 16 packages' batches in flight
    assert pool_options("s3://b/p", SourceOptions(jobs=16))["config_kwargs.max_pool_connections"] \
        == 128
    assert pool_options("s3://b/p", SourceOptions(jobs=1))["config_kwargs.max_pool_connections"] \
        == 10
    assert "config_kwargs.max_pool_connections" not in pool_options("gs://b", SourceOptions())
    mine = SourceOptions(jobs=16, storage_options={"config_kwargs.max_pool_connections": "5"})
    assert pool_options("s3://b", mine) == {"config_kwargs.max_pool_connections": "5"}


def test_pipeline_reports_a_broken_package_and_goes_on(world):
    """A package whose source cannot be made, or whose batch fails, is one MC902 result
    with a notification; the others are checked, in order, with progress for each."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import select_rules
    from modelcheck.scan.remote import plan, run_jobs
    from modelcheck.sources.plan import Job

    settings = _settings(world, jobs=4)
    denied = world["denied_ml"] + world["denied_env"]
    jobs = [j for j in plan("s3://models/fleet/team1", settings)
            if not any(j.display.endswith(d) for d in denied)][:6]

    def boom():
        raise RuntimeError("no source")

    class Failing:
        loop = jobs[0].make().loop
        display = "x"

        async def afetch(self, cap, pickle_cap=0):
            raise OSError("batch failed")

    jobs[1] = Job(jobs[1].display, boom)
    jobs[3] = Job(jobs[3].display, Failing)
    notes: list[str] = []
    seen: list[tuple[int, int]] = []
    got = run_jobs(jobs, select_rules(all_rules(), settings), settings, notes,
                   lambda i, n: seen.append((i, n)))
    assert [r.display for r in got] == [j.display for j in jobs]
    assert seen == [(i, 6) for i in range(1, 7)]
    assert notes == [f"{jobs[1].display}: cannot be checked: RuntimeError: no source",
                     f"{jobs[3].display}: cannot be checked: OSError: batch failed"]
    assert [f.code for f in got[1].findings] == ["MC902"]
    assert not [f for r in got[:1] + got[4:] for f in r.findings if f.code.startswith("MC9")]


def test_jobs_are_consumed_lazily_in_order_with_provenance(world):
    """A planner may be a generator (a registry lister paging): checking starts before it
    ends, progress says (done, jobs seen so far), results keep job order, and a package that
    cannot be checked keeps its job's provenance."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import select_rules
    from modelcheck.scan.remote import plan, run_jobs
    from modelcheck.sources.plan import Job

    settings = _settings(world, jobs=4)
    denied = world["denied_ml"] + world["denied_env"]
    planned = [j for j in plan("s3://models/fleet/team2", settings)
               if not any(j.display.endswith(d) for d in denied)][:12]
    seen: list[tuple[int, int]] = []
    done_when_yielded: list[int] = []

    def boom():
        raise RuntimeError("no source")

    def lister():
        for k, job in enumerate(planned):
            done_when_yielded.append(len(seen))
            if k == 9:
                yield Job("s3://models/gone", boom, {"name": "m", "version": "9"})
            yield Job(job.display, job.make, {"name": "m", "version": str(k)})

    notes: list[str] = []
    got = run_jobs(lister(), select_rules(all_rules(), settings), settings, notes,
                   lambda i, n: seen.append((i, n)))
    want = [j.display for j in planned]
    want.insert(9, "s3://models/gone")
    assert [r.display for r in got] == want
    assert [r.provenance["version"] for r in got] == [str(k) for k in range(9)] + ["9"] + \
        [str(k) for k in range(9, 12)]
    assert done_when_yielded[-1] > 0  # packages were checked before the listing ended
    assert any(n < len(want) for _, n in seen) and seen[-1] == (len(want), len(want))
    assert [i for i, _ in seen] == list(range(1, len(want) + 1))
    assert notes == ["s3://models/gone: cannot be checked: RuntimeError: no source"]
    assert [f.code for f in got[9].findings] == ["MC902"]


def test_jobs_1_reads_through_the_same_direct_batches(world):
    """--jobs 1 runs the same pipeline (one package in flight): the same findings as more
    jobs, every GET a direct one, one GET per file, the listing one request per page (and one
    for the root's level)."""
    url = "s3://models/fleet/team4"
    srv = world["srv"]
    srv.stats(reset=True)
    one = check([url], _settings(world, jobs=1))
    stats = srv.stats()
    many = check([url], _settings(world, jobs=8))
    assert [p.display for p in one.packages] == [p.display for p in many.packages]
    assert [[finding_key(f) for f in p.findings] for p in one.packages] == \
        [[finding_key(f) for f in p.findings] for p in many.packages]
    assert sorted(one.notifications) == sorted(many.notifications)
    assert list(stats["get_agents"]) == ["modelcheck"]
    gets = {k: n for k, n in stats["gets"].items() if not k.endswith(PROBE_KEY)}
    # one listing page, and the root's own level (with a delimiter: see stream_plan)
    assert gets and max(gets.values()) == 1 and stats["lists"] == 2 and stats["heads"] == 0
