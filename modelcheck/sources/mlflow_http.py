"""Keep-alive HTTP(S) connections to one MLflow server, shared by every thread of a check.

urllib opens (and, for HTTPS, handshakes) a new connection for every request and builds an
opener each time; an audit of a registry sends about eight requests per model version, so a
pool of idle ``http.client`` connections is kept per server: a request takes one (or makes
one), and gives it back once its response has been read to the end. A connection the server
closed while it sat idle fails on its next use and the request is sent once more on a new
connection (every request sent here is a read). Requests that need urllib's machinery go
through urllib as before: a proxy from the environment (``HTTP(S)_PROXY``, not bypassed by
``NO_PROXY``), and a redirect (followed by urllib).
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

IDLE_MAX = 64  # idle connections kept per server (the rest are closed when given back)
IDLE_SECONDS = 1.5  # not reused after this long idle (gunicorn closes them after 2 s)
RETRIED = (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError,
           BrokenPipeError, ConnectionAbortedError)


class Pool:
    """Idle connections to ``base`` (scheme://host:port[/prefix])."""

    def __init__(self, base: str, context: ssl.SSLContext | None, timeout: float) -> None:
        p = urlsplit(base)
        self.https = p.scheme == "https"
        self.host = p.hostname or ""
        self.port = p.port
        self.prefix = p.path.rstrip("/")
        self.context = context
        self.timeout = timeout
        self.idle: list[tuple[float, http.client.HTTPConnection]] = []
        self.lock = threading.Lock()
        self.direct = not _proxied(p.scheme, p.hostname or "")

    def _new(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        stale = []
        with self.lock:
            while self.idle:
                since, conn = self.idle.pop()
                if time.monotonic() - since < IDLE_SECONDS:
                    break
                stale.append(conn)
            else:
                conn = None
        for old in stale:
            old.close()
        return (conn, True) if conn is not None else (self._new(), False)

    def give_back(self, conn: http.client.HTTPConnection) -> None:
        with self.lock:
            if len(self.idle) < IDLE_MAX:
                self.idle.append((time.monotonic(), conn))
                return
        conn.close()

    def drop_idle(self) -> None:
        """Close every idle connection (one went stale: those idle as long have too)."""
        with self.lock:
            idle, self.idle = self.idle, []
        for _, conn in idle:
            conn.close()

    def request(self, method: str, path: str, body: bytes | None,
                headers: dict[str, str]) -> Response | None:
        """The response, or None when this request must go through urllib (a redirect)."""
        conn, reused = self._take()
        try:
            try:
                conn.request(method, self.prefix + path, body=body, headers=headers)
                resp = conn.getresponse()
            except RETRIED:
                if not reused:
                    raise
                # the server closed it while it sat idle: once more, on a new connection
                conn.close()
                self.drop_idle()
                conn = self._new()
                conn.request(method, self.prefix + path, body=body, headers=headers)
                resp = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        if 300 <= resp.status < 400:
            conn.close()
            return None
        return Response(self, conn, resp)


class Response:
    """An ``http.client`` response that gives its connection back to the pool once read to
    the end (a response left half-read closes its connection instead)."""

    def __init__(self, pool: Pool, conn: http.client.HTTPConnection,
                 resp: http.client.HTTPResponse) -> None:
        self.pool = pool
        self.conn: http.client.HTTPConnection | None = conn
        self.resp = resp
        self.status = resp.status
        self.reason = resp.reason
        self.headers = resp.headers

    def read(self, amt: int | None = None) -> bytes:
        try:
            return self.resp.read(amt)
        except http.client.HTTPException as exc:  # a body cut short: an I/O error
            raise OSError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        if self.resp.isclosed() and not self.resp.will_close:
            self.pool.give_back(conn)
        else:
            self.resp.close()
            conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _proxied(scheme: str, host: str) -> bool:
    """Whether urllib would send a request to ``host`` through a proxy."""
    proxies = urllib.request.getproxies()
    if scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(host)
