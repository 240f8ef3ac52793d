"""Raw HTTP/1.1 keep-alive GETs to one S3 endpoint, signed with SigV4, on an asyncio loop.

The bucket scan's small whole-file GETs (:mod:`modelcheck.sources.s3_direct`) go through here
instead of an HTTP client library: one request write and one or two ``data_received`` calls
per GET, callbacks instead of tasks, the SigV4 signing key derived once per day and region
(one SHA-256 and one HMAC per request), connections kept alive and reused (at most
``max_conns``, requests beyond that wait in a queue), read timeouts enforced by one sweep per
second rather than a timer per request.

Every answer but a complete ``200`` with the expected length, or a small 403/404 error body,
is handed back as a give-up (the caller reads the file another way, which reports errors its
usual way): ``Content-Length`` missing or different, chunked bodies, other statuses, a
connection reset or closed mid-answer, a timeout. A request on a reused connection that the
server closed before answering is retried once on a fresh connection (the keep-alive race).
A request of unknown length (a bucket listing, ``size`` -1) takes any ``200`` body up to
BODY_MAX bytes, sent with a ``Content-Length`` or chunked, and no content encoding.
Nothing here logs URLs or headers (they carry signatures).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import time
from collections.abc import Callable
from hashlib import sha256
from typing import Any

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
ERROR_BODY_MAX = 16 * 1024
HEAD_MAX = 64 * 1024  # most bytes of status line and headers accepted
BODY_MAX = 32 * 1024 * 1024  # most bytes of an answer of unknown length (a listing page)
CHUNK_LINE_MAX = 4096  # most bytes of a chunk-size line (with its extensions) or trailer


def _plain_length(head: bytes) -> int | None:
    """The Content-Length of a head whose only header of those :meth:`_Conn._head` reads is
    one well-formed Content-Length line (no Transfer-Encoding, Content-Encoding, Connection:
    what S3 sends); None for any other head, which is then read line by line."""
    low = head.lower()
    at = low.find(b"content-length")
    if at < 0 or low.find(b"content-length", at + 14) >= 0 or b"transfer-encoding" in low \
            or b"content-encoding" in low or b"connection" in low:
        return None
    start = low.rfind(b"\r\n", 0, at)
    if start < 0 or low[start + 2:at].strip():  # on the status line, or not a name
        return None
    end = low.find(b"\r\n", at)
    name_rest, colon, value = head[at + 14:end if end >= 0 else len(head)].partition(b":")
    if not colon or name_rest.strip():
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None


class GiveUp:
    """Why a GET was not answered here (``transport``: the network failed, not the answer)."""

    __slots__ = ("reason", "transport")

    def __init__(self, reason: str, transport: bool = False) -> None:
        self.reason = reason
        self.transport = transport

    def __repr__(self) -> str:
        return f"GiveUp({self.reason!r}, transport={self.transport})"


# what a GET's callback receives: the body, the parsed S3 error body (status, bytes), or GiveUp
Answer = "bytes | tuple[int, bytes] | GiveUp"


class Signer:
    """SigV4 for S3 GETs: the signing key cached per day."""

    def __init__(self, access_key: str, secret_key: str, token: str | None, region: str,
                 host: str, https: bool) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.region = region
        self.host = host
        # botocore's choice for S3: an unsigned payload over TLS, the empty body's hash if not
        self.payload = UNSIGNED if https else EMPTY_SHA256
        self._day = ""
        self._key = b""
        self._second = -1
        # the parts of a request's signing that change once a second, not per request
        self._canon_tail = ""  # canonical request after the query string
        self._to_sign = ""  # string to sign before the canonical request's hash
        self._out_head = ""  # header lines before the signature
        self._out_tail = ""  # after it
        self._mac: Any = None
        names = ["host", "x-amz-content-sha256", "x-amz-date"]
        if token:
            names.append("x-amz-security-token")
        self.signed = ";".join(names)

    def _signing_key(self, day: str) -> bytes:
        if day != self._day:
            k = hmac.new(("AWS4" + self.secret_key).encode(), day.encode(), "sha256").digest()
            for part in (self.region, "s3", "aws4_request"):
                k = hmac.new(k, part.encode(), "sha256").digest()
            self._day, self._key = day, k
        return self._key

    def _tick(self, now: int) -> None:
        """Precompute the parts of the signing that depend on the second only."""
        self._second = now
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        day = stamp[:8]
        # the HMAC keyed with the day's signing key, copied per request (no key set-up each)
        self._mac = hmac.new(self._signing_key(day), digestmod="sha256")
        canon = (f"host:{self.host}\nx-amz-content-sha256:{self.payload}\nx-amz-date:{stamp}\n"
                 + (f"x-amz-security-token:{self.token}\n" if self.token else ""))
        self._canon_tail = f"\n{canon}\n{self.signed}\n{self.payload}"
        scope = f"{day}/{self.region}/s3/aws4_request"
        self._to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n"
        self._out_head = (f"X-Amz-Content-SHA256: {self.payload}\r\nX-Amz-Date: {stamp}\r\n"
                          f"Authorization: AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}"
                          f", SignedHeaders={self.signed}, Signature=")
        self._out_tail = "\r\n" + (f"X-Amz-Security-Token: {self.token}\r\n"
                                    if self.token else "")

    def headers(self, path: str, query: str = "") -> str:
        """The signed request headers (CRLF-terminated lines) for ``GET path?query``;
        ``path`` is the URI as sent (already percent-encoded, S3 style: no double encoding),
        ``query`` the canonical query string (names sorted, names and values
        percent-encoded but for ``A-Za-z0-9-_.~``), sent as it is."""
        now = int(time.time())
        if now != self._second:
            self._tick(now)
        request = "GET\n" + path + "\n" + query + self._canon_tail
        to_sign = self._to_sign + sha256(request.encode()).hexdigest()
        mac = self._mac.copy()
        mac.update(to_sign.encode())
        return self._out_head + mac.hexdigest() + self._out_tail


class _Request:
    __slots__ = ("head", "size", "callback", "retried")

    def __init__(self, head: bytes, size: int, callback: Callable[[Any], None]) -> None:
        self.head = head
        self.size = size
        self.callback = callback
        self.retried = False


class _Conn(asyncio.Protocol):
    """One keep-alive connection; at most one request at a time."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.req: _Request | None = None
        self.used = False  # has answered a request before (a stale-connection retry is safe)
        self.got_bytes = False
        self.since = 0.0
        self.buf = bytearray()
        self._reset()

    def _reset(self) -> None:
        self.buf.clear()
        self.status = 0
        self.length = -1
        self.close_after = False
        self.in_head = True
        self.chunked: bytearray | None = None  # the body so far, when it comes in chunks
        self.chunk_left = -1  # bytes (and CRLF) of the current chunk still to come; -1: a size

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, req: _Request) -> None:
        self.req = req
        self.got_bytes = False
        self.since = time.monotonic()
        self._reset()
        assert self.transport is not None
        self.transport.write(req.head)

    def data_received(self, data: bytes) -> None:
        req = self.req
        if req is None:  # bytes nobody asked for: this connection is out of step
            self._drop()
            return
        self.got_bytes = True
        self.since = time.monotonic()
        buf = self.buf
        if self.in_head:
            if buf:  # the head came in pieces
                buf += data
                data = bytes(buf)
                buf.clear()
            end = data.find(b"\r\n\r\n")
            if end < 0:
                buf += data
                if len(buf) > HEAD_MAX:
                    self._fail(GiveUp("response head too long"))
                return
            if not self._head(data[:end]):
                return
            data = data[end + 4:]
        if self.chunked is not None:
            buf += data
            if self._chunks():
                self._answer(bytes(self.chunked))
            return
        if not buf and len(data) == self.length:  # the whole body at once: no copy
            self._answer(data)
            return
        buf += data
        if len(buf) < self.length:
            return
        if len(buf) > self.length:  # more than the announced body: out of step
            self._fail(GiveUp("response longer than its Content-Length"))
            return
        self._answer(bytes(buf))

    def _answer(self, body: bytes) -> None:
        req, status = self.req, self.status
        assert req is not None
        self.req = None
        self._reset()
        self.pool._done(self, keep=not self.close_after)
        req.callback(body if status == 200 else (status, body))

    def _chunks(self) -> bool:
        """Decode the chunks in ``buf`` into ``chunked``: True once the last chunk (and the
        trailers) arrived; False when more bytes are needed, or the request was failed."""
        buf, body = self.buf, self.chunked
        assert body is not None
        while True:
            if self.chunk_left >= 0:  # inside a chunk: its bytes, then CRLF
                if len(buf) < self.chunk_left + 2:
                    return False
                n = self.chunk_left
                if buf[n:n + 2] != b"\r\n":
                    self._fail(GiveUp("bad chunked body"))
                    return False
                body += buf[:n]
                del buf[:n + 2]
                self.chunk_left = -1
                continue
            end = buf.find(b"\r\n")
            if end < 0:
                if len(buf) > CHUNK_LINE_MAX:
                    self._fail(GiveUp("bad chunked body"))
                return False
            size = bytes(buf[:end]).split(b";", 1)[0].strip()
            if not size or len(size) > 8 or size.strip(b"0123456789abcdefABCDEF"):
                self._fail(GiveUp("bad chunked body"))
                return False
            n = int(size, 16)
            if n == 0:  # the last chunk: trailers (ignored) up to an empty line
                rest = bytes(buf[end + 2:])
                if rest.startswith(b"\r\n"):
                    tail = 2
                else:
                    tail = rest.find(b"\r\n\r\n")
                    if tail < 0:
                        if len(rest) > CHUNK_LINE_MAX:
                            self._fail(GiveUp("bad chunked body"))
                        return False
                    tail += 4
                if len(rest) > tail:  # bytes past the answer: out of step
                    self._fail(GiveUp("response longer than its chunks"))
                    return False
                return True
            if len(body) + n > BODY_MAX:
                self._fail(GiveUp("response too long"))
                return False
            del buf[:end + 2]
            self.chunk_left = n

    def _head(self, head: bytes) -> bool:
        """Parse the status line and headers; False when the request was failed here."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            self._fail(GiveUp("not an HTTP/1.x response"))
            return False
        status = int(parts[1])
        length = -1
        chunked = False
        close = parts[0] == b"HTTP/1.0"
        assert self.req is not None
        anysize = self.req.size < 0
        plain = _plain_length(head)
        if plain is not None:  # S3's usual head: the loop below would find just this
            length = plain
            lines = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                v = value.strip()
                if not v.isdigit() or length >= 0:
                    self._fail(GiveUp("bad Content-Length"))
                    return False
                length = int(v)
            elif name == b"transfer-encoding":
                if not anysize or value.strip().lower() != b"chunked" or chunked:
                    self._fail(GiveUp("chunked or encoded body"))
                    return False
                chunked = True
            elif name == b"content-encoding" and anysize and \
                    value.strip().lower() not in (b"", b"identity"):
                self._fail(GiveUp("chunked or encoded body"))
                return False
            elif name == b"connection":
                v = value.strip().lower()
                close = v == b"close" or (close and v != b"keep-alive")
        if chunked:
            if length >= 0:  # both: a request smuggling shape, never trusted
                self._fail(GiveUp("bad Content-Length"))
                return False
            if status != 200:
                self._fail(GiveUp(f"HTTP {status}"))
                return False
            self.status, self.close_after, self.in_head = status, close, False
            self.chunked = bytearray()
            return True
        if length < 0:
            self._fail(GiveUp(f"HTTP {status} without Content-Length"))
            return False
        if status == 200:
            if anysize:
                if length > BODY_MAX:
                    self._fail(GiveUp("response too long"))
                    return False
            elif length != self.req.size:
                self._fail(GiveUp("length other than listed"))
                return False
        elif status in (403, 404):
            if length > ERROR_BODY_MAX:
                self._fail(GiveUp(f"HTTP {status} with a long body"))
                return False
        else:
            self._fail(GiveUp(f"HTTP {status}"))
            return False
        self.status, self.length, self.close_after, self.in_head = status, length, close, False
        return True

    def _fail(self, why: GiveUp) -> None:
        req, self.req = self.req, None
        self._drop()
        if req is not None:
            req.callback(why)

    def _drop(self) -> None:
        t, self.transport = self.transport, None
        if t is not None:
            t.abort()
        self.pool._gone(self)

    def eof_received(self) -> bool:
        self._lost("connection closed by the server")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(f"connection lost ({type(exc).__name__ if exc else 'closed'})")

    def _lost(self, why: str) -> None:
        req, self.req = self.req, None
        stale = req is not None and self.used and not self.got_bytes and not req.retried
        self.transport = None
        self.pool._gone(self)
        if req is None:
            return
        if stale:  # the server closed an idle keep-alive connection as we sent: once more
            req.retried = True
            self.pool._submit(req, fresh=True)
        else:
            req.callback(GiveUp(why, transport=True))


class Pool:
    """Keep-alive connections to one ``host:port`` (TLS when ``ssl`` is a context)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int, ssl: Any,
                 max_conns: int, connect_timeout: float | None, read_timeout: float | None
                 ) -> None:
        self.loop = loop
        self.host, self.port, self.ssl = host, port, ssl
        self.max_conns = max(1, max_conns)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.idle: list[_Conn] = []
        self.busy: set[_Conn] = set()
        self.opening = 0
        self.waiting: collections.deque[_Request] = collections.deque()
        self._sweeping = False
        self.opened = 0  # connections made (tests)

    def get(self, head: bytes, size: int, callback: Callable[[Any], None]) -> None:
        """Send the request ``head`` (whole, CRLF CRLF ended) and call ``callback`` once with
        the body (200 of ``size`` bytes; any length up to BODY_MAX when ``size`` is -1),
        ``(status, body)`` for 403/404, or a GiveUp."""
        self._submit(_Request(head, size, callback))

    def _submit(self, req: _Request, fresh: bool = False) -> None:
        if self.idle and not fresh:
            self._send(self.idle.pop(), req)
        elif len(self.busy) + self.opening < self.max_conns or fresh:
            self.opening += 1
            asyncio.ensure_future(self._open(req), loop=self.loop)
        else:
            self.waiting.append(req)

    def _send(self, conn: _Conn, req: _Request) -> None:
        self.busy.add(conn)
        conn.send(req)
        if self.read_timeout and not self._sweeping:
            self._sweeping = True
            self.loop.call_later(1.0, self._sweep)

    async def _open(self, req: _Request) -> None:
        try:
            _, conn = await asyncio.wait_for(self.loop.create_connection(
                lambda: _Conn(self), self.host, self.port, ssl=self.ssl or None,
                server_hostname=self.host if self.ssl else None), self.connect_timeout)
        except BaseException as exc:  # noqa: BLE001 - handed back as a transport give-up
            self.opening -= 1
            req.callback(GiveUp(f"cannot connect ({type(exc).__name__})", transport=True))
            self._next()
            if not isinstance(exc, Exception):
                raise
            return
        self.opening -= 1
        self.opened += 1
        self._send(conn, req)

    def _done(self, conn: _Conn, keep: bool) -> None:
        self.busy.discard(conn)
        conn.used = True
        if not keep:
            conn._drop()
            return
        if self.waiting:
            self._send(conn, self.waiting.popleft())
        else:
            self.idle.append(conn)

    def _gone(self, conn: _Conn) -> None:
        self.busy.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        self._next()

    def _next(self) -> None:
        while self.waiting and len(self.busy) + self.opening < self.max_conns:
            req = self.waiting.popleft()
            if self.idle:
                self._send(self.idle.pop(), req)
            else:
                self.opening += 1
                asyncio.ensure_future(self._open(req), loop=self.loop)

    def _sweep(self) -> None:
        now = time.monotonic()
        limit = self.read_timeout or 0
        for conn in [c for c in self.busy if now - c.since > limit]:
            conn._fail(GiveUp("read timeout", transport=True))
        if self.busy or self.waiting:
            self.loop.call_later(1.0, self._sweep)
        else:
            self._sweeping = False

    def close(self) -> None:
        for conn in list(self.idle) + list(self.busy):
            conn._drop()
