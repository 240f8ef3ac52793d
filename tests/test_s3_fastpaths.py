"""The bucket scan's cheap paths give what the plain ones give: request paths (quote skipped
for plain keys), SigV4 signatures (parts precomputed per second), response heads (header
names and values, any case or leading whitespace), and a listing with no probe GET before it
(its first page proves the signing) that still sets the bucket up for direct GETs."""

from __future__ import annotations

import hashlib
import hmac
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from modelcheck.sources.s3_direct import _PLAIN_KEY
from modelcheck.sources.s3_http import Signer


def test_plain_keys_are_the_ones_quote_leaves_alone():
    rng = random.Random(16)
    alphabet = [chr(i) for i in range(0, 300)] + ["\u00e9", "\u2028", "\U0001d11e", "%", " "]
    for _ in range(50_000):
        key = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert bool(_PLAIN_KEY(key)) == (quote(key, safe="/~") == key), repr(key)
    assert _PLAIN_KEY("fleet/team0/pkg0001-real-sklearn-2.5/MLmodel")
    assert not _PLAIN_KEY("a b") and not _PLAIN_KEY("a\n") and not _PLAIN_KEY("\u00fc")


def _reference(signer: Signer, secret: str, path: str, query: str, now: int) -> str:
    """SigV4 computed from scratch (AWS's four steps), for the same second."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    day = stamp[:8]
    canon = (f"host:{signer.host}\nx-amz-content-sha256:{signer.payload}\n"
             f"x-amz-date:{stamp}\n"
             + (f"x-amz-security-token:{signer.token}\n" if signer.token else ""))
    request = f"GET\n{path}\n{query}\n{canon}\n{signer.signed}\n{signer.payload}"
    scope = f"{day}/{signer.region}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n" + hashlib.sha256(request.encode()).hexdigest()
    key = ("AWS4" + secret).encode()
    for part in (day, signer.region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), "sha256").digest()
    return hmac.new(key, to_sign.encode(), "sha256").hexdigest()


@pytest.mark.parametrize("token", [None, "TOKEN/with+chars="])
@pytest.mark.parametrize("https", [True, False])
def test_signature_matches_sigv4_from_scratch(token, https):
    signer = Signer("AKID", "secret/key", token, "eu-west-3", "s3.example:9000", https)
    for path, query in [("/bucket/a%20b/MLmodel", ""), ("/bucket", "list-type=2&prefix=p%2F"),
                        ("/", "continuation-token=abc%3D&list-type=2")]:
        for _ in range(50):  # a head made within one second, and its reference for it
            now = int(time.time())
            out = signer.headers(path, query)
            if int(time.time()) == now:
                break
        want = _reference(signer, "secret/key", path, query, now)
        assert f"Signature={want}\r\n" in out
        assert out.startswith(f"X-Amz-Content-SHA256: {signer.payload}\r\nX-Amz-Date: ")
        assert (f"X-Amz-Security-Token: {token}\r\n" in out) == bool(token)
        assert out.endswith("\r\n")


def _head_of(raw: bytes, size: int):
    """What the connection makes of the response head ``raw`` (no network)."""
    from modelcheck.sources.s3_http import _Conn, _Request

    got: list = []

    class _NoPool:
        def _gone(self, conn) -> None:
            pass

    conn = _Conn(_NoPool())  # type: ignore[arg-type]
    conn.req = _Request(b"", size, got.append)
    ok = conn._head(raw)
    return (conn.status, conn.length, conn.close_after, conn.chunked is not None) if ok \
        else got[0].reason


@pytest.mark.parametrize("raw,size,want", [
    (b"HTTP/1.1 200 OK\r\nServer: x\r\nCONTENT-LENGTH: 5", 5, (200, 5, False, False)),
    (b"HTTP/1.1 200 OK\r\n content-length : 5 ", 5, (200, 5, False, False)),
    (b"HTTP/1.1 200 OK\r\n\tContent-Length: 5\r\nConnection: Close", 5, (200, 5, True, False)),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nconnection: keep-alive", 5,
     (200, 5, False, False)),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 5", 5, (200, 5, True, False)),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5", 5, "bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked", -1,
     "bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked", -1, (200, -1, False, True)),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", 5, "chunked or encoded body"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Encoding: GZIP", -1,
     "chunked or encoded body"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Encoding: gzip", 5,
     (200, 5, False, False)),  # a known-size GET: the listed length is what counts
    (b"HTTP/1.1 200 OK\r\nX-Content-Length: 5", 5, "HTTP 200 without Content-Length"),
    (b"HTTP/1.1 200 OK", 5, "HTTP 200 without Content-Length"),
    (b"http/1.1 200 OK\r\nContent-Length: 5", 5, "not an HTTP/1.x response"),
    (b"HTTP/1.1 404 Not Found\r\nContent-Length: 9", 5, (404, 9, False, False)),
])
def test_response_heads(raw, size, want):
    assert _head_of(raw, size) == want


@pytest.mark.parametrize("raw,size,want", [
    (b"HTTP/1.1 200 OK\r\nX-Note: content-length\r\nContent-Length: 5", 5,
     (200, 5, False, False)),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5x", 5, "bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length 5", 5, "HTTP 200 without Content-Length"),
    (b"HTTP/1.1 200 content-length\r\nContent-Length: 5", 5, (200, 5, False, False)),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\nConnection: close", 5, "bad Content-Length"),
])
def test_heads_just_off_the_usual_shape(raw, size, want):
    assert _head_of(raw, size) == want


def test_usual_head_shortcut_agrees_with_the_line_by_line_reading(monkeypatch):
    """Random heads built from header lines S3 sends and lines that look like them: the
    shortcut for S3's usual head and the line-by-line reading agree on every one."""
    from modelcheck.sources import s3_http

    lines = [b"Content-Length: 5", b"content-length:5", b" Content-Length : 7 ",
             b"Content-Length: 5 5", b"Content-Length: ", b"X-Content-Length: 9",
             b"ETag: \"content-length\"", b"Connection: close", b"Connection: keep-alive",
             b"Transfer-Encoding: chunked", b"Content-Encoding: gzip", b"Content-Type: x",
             b"Server: AmazonS3", b"x-amz-request-id: 1", b"\tContent-Length: 5",
             b"Content-Length:\t5", b"Content-Lengthx: 5", b"Content-Length: \xd9\xa5"]
    rng = random.Random(7)
    seen = set()
    for _ in range(3000):
        status = rng.choice([b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 404 Not Found"])
        head = b"\r\n".join([status] + rng.sample(lines, rng.randint(0, 4)))
        size = rng.choice([5, 7, -1])
        quick = _head_of(head, size)
        with monkeypatch.context() as m:
            m.setattr(s3_http, "_plain_length", lambda head: None)
            assert _head_of(head, size) == quick, head
        seen.add(s3_http._plain_length(head) is not None)
    assert seen == {True, False}  # both ways were taken


# -- the listing's first page instead of a probe GET (a real S3 server) ---------------------

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")
sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402
from modelcheck.sources.fsspec_source import open_url, storage_options  # noqa: E402
from modelcheck.sources.s3_direct import PROBE_KEY, direct_for  # noqa: E402
from modelcheck.sources.s3_list import list_keys  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    s3server.make_tree(root, 12)
    with s3server.s3_server() as srv:
        admin = srv.client()
        admin.create_bucket(Bucket="models")
        s3server.upload_tree(admin, "models", root, "fleet")
        yield srv, root


def _fs(srv, timeout: int = 30):
    """A filesystem of its own: the direct reader's state goes by the filesystem's options
    (equal filesystems share it), so each test gives its own connect timeout."""
    opts = dict(srv.options(), skip_instance_cache=True,
                **{"config_kwargs.connect_timeout": timeout})
    return open_url("s3://models", storage_options(opts))[0]


def test_listing_needs_no_probe_and_proves_the_bucket(served):
    srv, root = served
    fs = _fs(srv, 31)
    srv.stats(reset=True)
    got = list_keys(fs, "models/fleet")
    stats = srv.stats()
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert got is not None and sorted(k for k, _ in got) == [f"models/fleet/{f}" for f in files]
    assert stats["gets"] == {} and stats["lists"] == 1  # the page, and nothing before it
    direct = direct_for(fs)
    assert direct is not None and direct.ready("models/fleet/x")
    assert direct._buckets["models"].proven  # S3 took the signature: errors are the objects'


def test_scan_after_listing_gets_directly_without_a_probe(served):
    srv, root = served
    srv.stats(reset=True)
    opts = dict(srv.options(), **{"config_kwargs.connect_timeout": "33"})
    rep = check(["s3://models/fleet"], Settings(storage_options=opts, jobs=4))
    stats = srv.stats()
    local = check([str(root)], Settings())
    assert [p.display.removeprefix("s3://models/fleet/") for p in rep.packages] == \
        [Path(p.display).relative_to(root).as_posix() for p in local.packages]
    assert f"models/{PROBE_KEY}" not in stats["gets"]
    assert list(stats["get_agents"]) == ["modelcheck"]  # every GET direct
    assert max(stats["gets"].values()) == 1


def test_bucket_whose_listing_falls_back_is_probed_before_direct_gets(served):
    """A listing answered in a way the direct path does not take (here: a denial) leaves the
    bucket unset; the first direct GET sets it up the usual way (the probe)."""
    srv, _ = served
    fs = _fs(srv, 32)
    srv.deny("models/")
    try:
        assert list_keys(fs, "models/fleet") is None
    finally:
        srv.deny()
    direct = direct_for(fs)
    assert direct is not None and not direct.ready("models/fleet/x")
    from fsspec.asyn import sync

    key, size = list_keys(_fs(srv, 34), "models/fleet")[0]  # another client's listing
    srv.stats(reset=True)
    assert isinstance(sync(fs.loop, direct.get, key, size), bytes)
    gets = srv.stats()["gets"]
    assert gets == {f"models/{PROBE_KEY}": 1, key: 1}
