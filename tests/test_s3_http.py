"""The raw keep-alive GET pool (modelcheck/sources/s3_http.py) against a real TCP server on
127.0.0.1 that misbehaves on purpose: every answer but a complete 200 of the listed length or a
small 403/404 error body is a give-up (the caller reads the file through s3fs, which reports
it), never a wrong body; a connection the server closed while idle is retried once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from modelcheck.sources.s3_http import GiveUp, Pool

DENIED = (b'<?xml version="1.0"?><Error><Code>AccessDenied</Code>'
          b"<Message>Access Denied</Message></Error>")


def _answer(path: str) -> bytes | None:
    """The raw bytes sent for ``GET path`` (None: close the connection without a word)."""
    if path == "/ok":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    if path == "/split":  # head and body in several writes
        return b"HTTP/1.1 200 OK\r\nContent-Le|ngth: 5\r\n\r|\nhe|llo"
    if path == "/short":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"  # then closed
    if path == "/long":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello!"
    if path == "/chunked":
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    if path == "/nolength":
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello"
    if path == "/500":
        return b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
    if path == "/503-xml":
        return b"HTTP/1.1 503 Slow Down\r\nContent-Length: 3\r\n\r\nxyz"
    if path == "/denied":
        return (b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n" % len(DENIED)) + DENIED
    if path == "/garbage":
        return b"SSH-2.0-OpenSSH\r\n\r\n"
    if path == "/extra":  # more bytes than announced: the connection is out of step
        return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200"
    if path == "/chunked-split":  # chunk sizes, data and the end split across writes
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r|\nhel|\r\n"
                b"2\r\nlo|\r|\n0\r\nX-Trailer: 1|\r\n\r|\n")
    if path == "/chunked-extra":  # bytes after the last chunk: out of step
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1"
    if path == "/listing":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n<a>x</a>"[:-1]
    if path == "/close-after":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    return None


class Misbehaving:
    """A real HTTP/1.1 server: one thread per connection, answers by path (see _answer);
    ``/hang`` never answers; ``/short`` closes after a partial body; after ``/ok-then-idle-close``
    the server closes the idle connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
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
                path = head.split(b" ")[1].decode()
                if path == "/hang":
                    time.sleep(5)
                    return
                if path == "/ok-then-idle-close":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    time.sleep(0.2)
                    return  # closes the kept-alive connection while the client idles
                out = _answer(path)
                if out is None:
                    return
                for part in out.split(b"|"):
                    conn.sendall(part)
                    time.sleep(0.01)
                if path in ("/short", "/close-after", "/nolength"):
                    return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server():
    srv = Misbehaving()
    yield srv
    srv.close()


def _get(pool: Pool, loop, path: str, size: int):
    async def call():
        fut = loop.create_future()
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        pool.get(head, size, fut.set_result)
        return await fut

    return loop.run_until_complete(call())


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def _pool(loop, server, **kw) -> Pool:
    return Pool(loop, "127.0.0.1", server.port, None, kw.get("max_conns", 4), 5.0,
                kw.get("read_timeout", 5.0))


def test_complete_answers_and_keep_alive(loop, server):
    pool = _pool(loop, server)
    assert _get(pool, loop, "/ok", 5) == b"hello"
    assert _get(pool, loop, "/split", 5) == b"hello"
    assert _get(pool, loop, "/denied", 0) == (403, DENIED)
    assert pool.opened == 1  # one connection, kept alive for all three
    pool.close()


@pytest.mark.parametrize("path,size,reason,transport", [
    ("/ok", 4, "length other than listed", False),
    ("/short", 10, "connection closed by the server", True),
    ("/long", 6, "", False),  # body is "hello!" of 6: fine, see below
    ("/chunked", 5, "chunked or encoded body", False),
    ("/nolength", 5, "HTTP 200 without Content-Length", False),
    ("/500", 0, "HTTP 500", False),
    ("/503-xml", 3, "HTTP 503", False),
    ("/garbage", 5, "not an HTTP/1.x response", False),
    ("/reset", 5, "connection closed by the server", True),
])
def test_every_other_answer_is_a_give_up(loop, server, path, size, reason, transport):
    pool = _pool(loop, server)
    got = _get(pool, loop, path, size)
    if path == "/long":
        assert got == b"hello!"
        return
    assert isinstance(got, GiveUp), got
    assert got.reason == reason and got.transport is transport
    # the pool still works afterwards (a broken connection is dropped, not reused)
    assert _get(pool, loop, "/ok", 5) == b"hello"
    pool.close()


def test_bytes_past_the_body_drop_the_connection(loop, server):
    pool = _pool(loop, server)
    got = _get(pool, loop, "/extra", 5)
    # the body may land before the stray bytes (answered) or with them (given up): never
    # a wrong body, and the connection is not reused either way
    assert got == b"hello" or isinstance(got, GiveUp)
    assert _get(pool, loop, "/ok", 5) == b"hello"
    assert pool.opened == 2
    pool.close()


def test_read_timeout(loop, server):
    pool = _pool(loop, server, read_timeout=0.5)
    t0 = time.monotonic()
    got = _get(pool, loop, "/hang", 5)
    assert isinstance(got, GiveUp) and got.reason == "read timeout" and got.transport
    assert time.monotonic() - t0 < 3
    pool.close()


def test_idle_connection_closed_by_server_is_retried_once(loop, server):
    pool = _pool(loop, server)
    assert _get(pool, loop, "/ok-then-idle-close", 2) == b"ok"
    time.sleep(0.4)  # the server has closed the kept-alive connection by now
    assert _get(pool, loop, "/ok", 5) == b"hello"
    assert pool.opened == 2
    assert _get(pool, loop, "/close-after", 5) == b"hello"  # Connection: close honoured
    assert _get(pool, loop, "/ok", 5) == b"hello"
    pool.close()


def test_connection_refused_is_a_transport_give_up(loop):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    pool = Pool(loop, "127.0.0.1", port, None, 2, 2.0, 2.0)
    got = _get(pool, loop, "/ok", 5)
    assert isinstance(got, GiveUp) and got.transport and "cannot connect" in got.reason


def test_many_requests_share_few_connections(loop, server):
    pool = _pool(loop, server, max_conns=3)

    async def many():
        futs = []
        for _ in range(40):
            fut = loop.create_future()
            pool.get(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", 5, fut.set_result)
            futs.append(fut)
        return await asyncio.gather(*futs)

    assert loop.run_until_complete(many()) == [b"hello"] * 40
    assert pool.opened <= 3 and server.connections <= 3
    pool.close()


def test_answers_of_unknown_length(loop, server):
    """size -1 (a listing page): any Content-Length, or chunks (split anyhow, with extensions
    and trailers); the connection is kept alive after either; never a body past the end."""
    pool = _pool(loop, server)
    assert _get(pool, loop, "/chunked", -1) == b"hello"
    assert _get(pool, loop, "/chunked-split", -1) == b"hello"
    assert _get(pool, loop, "/listing", -1) == b"<a>x</a"
    assert _get(pool, loop, "/ok", -1) == b"hello"
    assert pool.opened == 1
    got = _get(pool, loop, "/chunked-extra", -1)
    assert got == b"" or isinstance(got, GiveUp)  # as /extra: never a wrong body
    assert isinstance(_get(pool, loop, "/500", -1), GiveUp)
    got = _get(pool, loop, "/chunked", 5)  # a file GET never takes chunks
    assert isinstance(got, GiveUp) and got.reason == "chunked or encoded body"
    pool.close()
