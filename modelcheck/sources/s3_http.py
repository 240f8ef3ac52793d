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
Nothing here logs URLs or headers (they carry signatures).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
ERROR_BODY_MAX = 16 * 1024
HEAD_MAX = 64 * 1024  # most bytes of status line and headers accepted


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
    """SigV4 for S3 GETs with no query string: the signing key cached per day."""

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
        self._stamp = ""
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

    def headers(self, path: str) -> str:
        """The signed request headers (CRLF-terminated lines) for ``GET path``; ``path`` is
        the URI as sent (already percent-encoded, S3 style: no double encoding)."""
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        stamp = self._stamp
        day = stamp[:8]
        canon = (f"host:{self.host}\nx-amz-content-sha256:{self.payload}\nx-amz-date:{stamp}\n"
                 + (f"x-amz-security-token:{self.token}\n" if self.token else ""))
        request = f"GET\n{path}\n\n{canon}\n{self.signed}\n{self.payload}"
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = (f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n"
                   + hashlib.sha256(request.encode()).hexdigest())
        sig = hmac.new(self._signing_key(day), to_sign.encode(), "sha256").hexdigest()
        out = (f"X-Amz-Content-SHA256: {self.payload}\r\nX-Amz-Date: {stamp}\r\n"
               f"Authorization: AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
               f"SignedHeaders={self.signed}, Signature={sig}\r\n")
        if self.token:
            out += f"X-Amz-Security-Token: {self.token}\r\n"
        return out


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
        self._reset()

    def _reset(self) -> None:
        self.buf = bytearray()
        self.status = 0
        self.length = -1
        self.close_after = False
        self.in_head = True

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
        buf += data
        if self.in_head:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > HEAD_MAX:
                    self._fail(GiveUp("response head too long"))
                return
            if not self._head(bytes(buf[:end])):
                return
            del buf[: end + 4]
        if len(buf) < self.length:
            return
        if len(buf) > self.length:  # more than the announced body: out of step
            self._fail(GiveUp("response longer than its Content-Length"))
            return
        body = bytes(buf)
        status = self.status
        self.req = None
        self._reset()
        self.pool._done(self, keep=not self.close_after)
        req.callback(body if status == 200 else (status, body))

    def _head(self, head: bytes) -> bool:
        """Parse the status line and headers; False when the request was failed here."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            self._fail(GiveUp("not an HTTP/1.x response"))
            return False
        status = int(parts[1])
        length = -1
        close = parts[0] == b"HTTP/1.0"
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
                self._fail(GiveUp("chunked or encoded body"))
                return False
            elif name == b"connection":
                v = value.strip().lower()
                close = v == b"close" or (close and v != b"keep-alive")
        assert self.req is not None
        if length < 0:
            self._fail(GiveUp(f"HTTP {status} without Content-Length"))
            return False
        if status == 200:
            if length != self.req.size:
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
        the body (200 of ``size`` bytes), ``(status, body)`` for 403/404, or a GiveUp."""
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
