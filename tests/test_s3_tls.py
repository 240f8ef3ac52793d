"""Bucket scans over HTTPS, as S3 is reached in production: a real moto server behind real
TLS (a certificate from a throw-away authority, see tlscerts), checked against a local scan
of the same tree. The direct GETs (modelcheck's own keep-alive client) must run over TLS with
the very verification settings of the s3fs client, and a certificate the client does not
trust must fail the scan (exit 2, MC902), never pass it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")
pytest.importorskip("cryptography")

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402
from helpers import finding_key  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    s3server.make_tree(root, 14)
    with s3server.s3_server(tls=True) as srv:
        assert srv.endpoint.startswith("https://")
        s3server.fill_servers(srv, root, bucket="models")
        local = check([str(root)], Settings())
        want = {Path(p.display).relative_to(root).as_posix(): sorted(map(finding_key, p.findings))
                for p in local.packages}
        yield srv, want


def _scan(srv, options: dict, jobs: int = 4):
    srv.stats(reset=True)
    rep = check(["s3://models/fleet"], Settings(storage_options=options, jobs=jobs))
    got = {p.display.removeprefix("s3://models/fleet/"): sorted(map(finding_key, p.findings))
           for p in rep.packages}
    return rep, got, srv.stats()


def test_https_scan_with_the_endpoints_authority_matches_a_local_scan(served):
    srv, want = served
    rep, got, stats = _scan(srv, srv.options())  # client_kwargs.verify=<ca.pem>
    assert not rep.notifications
    assert got == want
    assert list(stats["get_agents"]) == ["modelcheck"]  # every file GET direct, over TLS
    assert max(stats["gets"].values()) == 1


def test_https_authority_from_aws_ca_bundle(served, monkeypatch):
    srv, want = served
    options = dict(srv.options(), **{"config_kwargs.connect_timeout": "41"})
    del options["client_kwargs.verify"]
    monkeypatch.setenv("AWS_CA_BUNDLE", str(srv.ca))
    rep, got, stats = _scan(srv, options)
    assert not rep.notifications
    assert got == want
    assert list(stats["get_agents"]) == ["modelcheck"]


def test_untrusted_certificate_fails_the_scan_and_says_how_to_trust_it(served, tmp_path):
    srv, _ = served
    options = dict(srv.options())
    del options["client_kwargs.verify"]
    argv = [sys.executable, "-m", "modelcheck", "check", "s3://models/fleet", "--format",
            "text"]
    for k, v in options.items():
        argv += ["--storage-option", f"{k}={v}"]
    env = dict(os.environ, AWS_MAX_ATTEMPTS="1", HOME=str(tmp_path))
    env.pop("AWS_CA_BUNDLE", None)
    srv.stats(reset=True)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "MC902" in out and "CERTIFICATE_VERIFY_FAILED" in out
    assert "client_kwargs.verify=/path/to/ca.pem" in out
    assert "All checks passed" not in out
    assert srv.stats()["gets"] == {}  # nothing was read over an unverified connection


def test_direct_gets_verify_with_the_s3fs_clients_own_tls_context(served):
    """The direct reader does not make a TLS context of its own: it takes the one aiobotocore
    built from the client's settings, so it verifies exactly what s3fs verifies."""
    import ssl

    from fsspec.asyn import sync

    from modelcheck.sources.fsspec_source import open_url, storage_options
    from modelcheck.sources.s3_direct import direct_for
    from modelcheck.sources.s3_list import list_keys

    srv, _ = served
    opts = dict(srv.options(), skip_instance_cache=True,
                **{"config_kwargs.connect_timeout": 43})
    fs = open_url("s3://models", storage_options(opts))[0]
    key, size = list_keys(fs, "models/fleet")[0]
    direct = direct_for(fs)
    assert isinstance(sync(fs.loop, direct.get, key, size), bytes)
    (pool,) = direct._pools.values()
    s3 = sync(fs.loop, fs.get_s3, "models")
    session = sync(fs.loop, s3._endpoint.http_session._get_session, None)
    assert pool.ssl is session.connector._ssl
    assert pool.ssl.verify_mode == ssl.CERT_REQUIRED and pool.ssl.check_hostname
