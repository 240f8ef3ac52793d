"""Bucket listings without botocore (modelcheck/sources/s3_list.py): against moto, the keys
and sizes s3fs lists (odd keys, more than one page); against a real TCP server that
misbehaves on purpose, every answer but a well-formed page is None (the scan then lists
through s3fs, which reports the failure its usual way), and chunked pages are read."""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402
from modelcheck.sources.fsspec_source import Listing, open_url, storage_options  # noqa: E402
from modelcheck.sources.s3_direct import PROBE_KEY, direct_for  # noqa: E402
from modelcheck.sources.s3_list import list_keys, parse_page, query_of  # noqa: E402

ODD = ["p/MLmodel", "p/dir with space/a+b=c&d.txt", "p/\u00fcnicode/\u6a21\u578b.json",
       "p/pct%20literal%2F.txt", "p/<tag>&amp;\"'.txt", "p/plus+plus", "p/tab\tkey",
       "p/trailing space ", "p/semi;colon?q=1#frag", "p/ctrl\x01char", "p/dir/",
       "p2/MLmodel", "pp/other"]


def _s3fs_view(fs, root: str) -> list[tuple[str, int]]:
    found = fs.find(root, detail=True, withdirs=False)
    return sorted((k, v["size"]) for k, v in found.items() if v.get("type") == "file")


@pytest.fixture(scope="module")
def moto():
    with s3server.s3_server() as srv:
        c = srv.client()
        c.create_bucket(Bucket="odd")
        for i, key in enumerate(ODD):
            c.put_object(Bucket="odd", Key=key, Body=b"x" * i)
        c.create_bucket(Bucket="many")
        from concurrent.futures import ThreadPoolExecutor

        def put(i: int) -> None:
            c.put_object(Bucket="many", Key=f"fleet/g{i % 7}/k{i:05d} \u00e9&.txt",
                         Body=b"y" * (i % 5))

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put, range(2345)))
        c.create_bucket(Bucket="empty")
        yield srv


def _fs(srv):
    fs, _ = open_url("s3://odd", storage_options(dict(srv.options(),
                                                      skip_instance_cache=True)))
    return fs


def test_odd_keys_are_listed_as_s3fs_lists_them(moto):
    fs = _fs(moto)
    for root in ("odd/p", "odd", "odd/p2"):
        moto.stats(reset=True)
        got = list_keys(fs, root)
        assert got is not None and sorted(got) == _s3fs_view(fs, root), root
    assert sorted(list_keys(fs, "odd/p")) == sorted(
        (f"odd/{k}", i) for i, k in enumerate(ODD) if k.startswith("p/"))
    assert list_keys(fs, "odd/nothing-here") == []
    assert list_keys(fs, "empty") == []
    assert direct_for(fs).fallbacks == 0


def test_continuation_over_many_pages(moto):
    fs = _fs(moto)
    moto.stats(reset=True)
    got = list_keys(fs, "many/fleet")
    stats = moto.stats()
    assert stats["lists"] == 3  # 2345 keys: pages of 1000
    assert got is not None and len(got) == 2345 and len(set(got)) == 2345
    assert sorted(got) == _s3fs_view(fs, "many/fleet")


def test_a_denied_listing_is_reported_as_before(moto, tmp_path):
    """403 on the listing: the fast path gives up, s3fs lists and says access denied."""
    c = moto.client()
    c.create_bucket(Bucket="shut")
    c.put_object(Bucket="shut", Key="m/MLmodel", Body=b"flavors: {}\n")
    moto.deny("shut/")
    fs = _fs(moto)
    assert list_keys(fs, "shut/m") is None
    rep = check(["s3://shut/m"], Settings(storage_options=moto.options()))
    (f,) = rep.findings
    assert f.code == "MC902" and "cannot list: access denied" in f.message
    moto.deny()


def test_query_string_is_sigv4_canonical():
    assert query_of({"prefix": "a b/&=\u00e9", "list-type": "2", "encoding-type": "url",
                     "continuation-token": "1+2/3=="}) == (
        "continuation-token=1%2B2%2F3%3D%3D&encoding-type=url&list-type=2&"
        "prefix=a%20b%2F%26%3D%C3%A9")


PAGE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns='
        b'"http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p%%2F</Prefix>'
        b"<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
        b"<IsTruncated>%s</IsTruncated>%s"
        b"<Contents><Key>p/a+b%%26c</Key><LastModified>2026-01-01T00:00:00.000Z"
        b"</LastModified><ETag>&quot;x&quot;</ETag><Size>12</Size></Contents>"
        b"<Contents><Key>p/%%C3%%BC.txt</Key><Size>0</Size></Contents></ListBucketResult>")


def _page(truncated: bytes = b"false", extra: bytes = b"") -> bytes:
    return PAGE % (truncated, extra)


def test_parse_page_values():
    assert parse_page(_page(), "p/") == ([("p/a b&c", 12), ("p/\u00fc.txt", 0)], None)
    tok = b"<NextContinuationToken>1/abc==</NextContinuationToken>"
    assert parse_page(_page(b"true", tok), "p/")[1] == "1/abc=="
    bad = [b"not xml", b"<Error><Code>AccessDenied</Code></Error>", _page(b"true"),
           _page(b"maybe"), _page().replace(b"<Size>12", b"<Size>-12"),
           _page().replace(b"<Size>12", b"<Size>\xc2\xb2"),
           _page().replace(b"url</Encoding", b"base64</Encoding"),
           _page().replace(b"<Key>p/a", b"<Key>q/a"), _page()[:-20]]
    for body in bad:
        assert parse_page(body, "p/") is None, body
    unencoded = _page().replace(b"<EncodingType>url</EncodingType>", b"")
    assert parse_page(unencoded, "p/")[0][0] == ("p/a+b%26c", 12)  # taken literally


# -- a real server that answers listings in every wrong way ------------------------------------

NO_SUCH_KEY = (b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code>'
               b"<Message>The specified key does not exist.</Message></Error>")
PAGE1 = _page(b"true", b"<NextContinuationToken>t/1 +=</NextContinuationToken>")
PAGE2 = (b"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/z</Key>"
         b"<Size>3</Size></Contents></ListBucketResult>")


def _chunked(body: bytes, sizes: list[int], trailer: bytes = b"") -> bytes:
    out, i = b"", 0
    for n in sizes:
        out += b"%x;ext=1\r\n" % len(body[i:i + n]) + body[i:i + n] + b"\r\n"
        i += n
    assert i >= len(body)
    return out + b"0\r\n" + trailer + b"\r\n"


def _answer(bucket: str, query: dict[str, list[str]]) -> bytes | None:
    def full(status: bytes, body: bytes, *headers: bytes) -> bytes:
        return (b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n" % len(body)
                + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body)

    def chunked(body: bytes, sizes: list[int], trailer: bytes = b"") -> bytes:
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + _chunked(body, sizes, trailer))

    token = query.get("continuation-token", [None])[0]
    if query.get("prefix") != ["p/"] or query.get("list-type") != ["2"] or \
            query.get("encoding-type") != ["url"]:
        return full(b"400 Bad Request", b"")
    return {
        "ok": full(b"200 OK", _page()),
        "two-pages": full(b"200 OK", PAGE1 if token is None else PAGE2)
        if token in (None, "t/1 +=") else full(b"400 Bad Request", b""),
        "loop": full(b"200 OK", PAGE1),  # the same token again and again
        "second-fails": full(b"200 OK", PAGE1) if token is None else
        full(b"500 Internal Server Error", b"<Error><Code>InternalError</Code></Error>"),
        "chunked": chunked(_page(), [1, 100, 7, 10_000]),
        "chunked-trailer": chunked(_page(), [50, 10_000], b"X-Checksum: 1\r\n"),
        "chunked-bad-size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "chunked-bad-crlf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3\r\nabcXY0\r\n\r\n",
        "chunked-and-length": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                              b"Content-Length: 5\r\n\r\n" + _chunked(_page(), [10_000]),
        "chunked-cut": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       + _chunked(_page(), [10_000])[:-30],
        "gzip": full(b"200 OK", _page(), b"Content-Encoding: gzip"),
        "denied": full(b"403 Forbidden", b"<Error><Code>AccessDenied</Code></Error>"),
        "missing": full(b"404 Not Found", b"<Error><Code>NoSuchBucket</Code></Error>"),
        "500": full(b"500 Internal Server Error", b"oops"),
        "html": full(b"200 OK", b"<html><body>captive portal</body></html>"),
        "text": full(b"200 OK", b"hello"),
        "foreign-key": full(b"200 OK", _page().replace(b"<Key>p/a", b"<Key>q/a")),
        "no-token": full(b"200 OK", _page(b"true")),
    }.get(bucket)


class FakeS3Endpoint:
    """A real HTTP/1.1 server on 127.0.0.1 speaking just enough S3 for the direct reader:
    the probe GET is NoSuchKey (so the bucket is set up), a listing is answered by the
    bucket's name (see _answer); anything else closes the connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.lists: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                target = urlsplit(head.split(b" ")[1].decode())
                parts = target.path.strip("/").split("/", 1)
                if len(parts) == 2 and parts[1] == PROBE_KEY:
                    out = (b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n"
                           % len(NO_SUCH_KEY)) + NO_SUCH_KEY
                elif len(parts) == 1 and target.query:
                    self.lists.append(parts[0])
                    out = _answer(parts[0], parse_qs(target.query, keep_blank_values=True))
                else:
                    out = None
                if out is None:
                    return
                conn.sendall(out)
                if parts[0] == "chunked-cut":
                    return


@pytest.fixture(scope="module")
def fake():
    srv = FakeS3Endpoint()
    opts = {"key": "k", "secret": "s", "skip_instance_cache": True,
            "client_kwargs.endpoint_url": f"http://127.0.0.1:{srv.port}",
            "client_kwargs.region_name": "us-east-1",
            "config_kwargs.retries.max_attempts": 1}
    fs, _ = open_url("s3://ok", storage_options(opts))
    yield srv, fs
    srv.sock.close()


WANT = [("ok/p/a b&c", 12), ("ok/p/\u00fc.txt", 0)]


@pytest.mark.parametrize("bucket", ["ok", "chunked", "chunked-trailer"])
def test_well_formed_pages_are_read(fake, bucket):
    srv, fs = fake
    got = list_keys(fs, f"{bucket}/p")
    assert got == [(bucket + k[2:], n) for k, n in WANT]


def test_continuation_token_is_sent_back_encoded(fake):
    srv, fs = fake
    srv.lists.clear()
    got = list_keys(fs, "two-pages/p")
    assert got == [("two-pages/p/a b&c", 12), ("two-pages/p/\u00fc.txt", 0),
                   ("two-pages/p/z", 3)]
    assert srv.lists == ["two-pages", "two-pages"]


@pytest.mark.parametrize("bucket", [
    "loop", "second-fails", "chunked-bad-size", "chunked-bad-crlf", "chunked-and-length",
    "chunked-cut", "gzip", "denied", "missing", "500", "html", "text", "foreign-key", "no-token"])
def test_every_other_answer_lists_through_s3fs(fake, bucket):
    srv, fs = fake
    assert list_keys(fs, f"{bucket}/p") is None
    # and the scan's listing then asks s3fs, which fails its own way (never a made-up list)
    if bucket in ("denied", "missing", "500"):
        with pytest.raises(Exception):  # noqa: B017 - s3fs's own error, whatever it is
            Listing.of(fs, f"{bucket}/p", f"s3://{bucket}/p")


def test_listing_path_and_query_are_signed_as_s3_expects(fake):
    """The request line is what botocore would send (path style: /bucket?query)."""
    srv, fs = fake
    direct = direct_for(fs)
    from fsspec.asyn import sync

    async def head() -> bytes:
        b = await direct.bucket("ok")
        return b.bucket_head(query_of({"list-type": "2", "prefix": "p/"}))

    line = sync(fs.loop, head).split(b"\r\n", 1)[0]
    assert line == b"GET /ok?list-type=2&prefix=" + quote("p/", safe="").encode() + \
        b" HTTP/1.1"
