"""The MLflow client's keep-alive connections, against a real HTTP/1.1 server on 127.0.0.1.

The server (stdlib ``http.server``) notes which connection each request came on, and can
close a connection silently after N requests (as uvicorn and gunicorn do to idle ones), cut
a body short, redirect, or answer MLflow's JSON errors.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modelcheck.sources import mlflow_http, mlflow_uri
from modelcheck.sources.mlflow_uri import Server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        srv = self.server
        with srv.lock:
            srv.ports.append(self.client_address[1])
            self.count = getattr(self, "count", 0) + 1
        if self.path.startswith("/redirect"):
            self._send(302, b"", [("Location", "/api/2.0/mlflow/ok?from=redirect")])
        elif self.path.startswith("/missing"):
            self._send(404, json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST",
                                        "message": "nope"}).encode())
        elif self.path.startswith("/short"):
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"cut":')
            self.close_connection = True
            return
        else:
            self._send(200, json.dumps({"path": self.path}).encode())
        if srv.close_after and self.count >= srv.close_after:
            self.close_connection = True  # silently: no Connection: close header

    def _send(self, code: int, body: bytes, headers=()) -> None:
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.ports = []
    srv.close_after = 0
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _server(http_server) -> Server:
    return Server(f"http://127.0.0.1:{http_server.server_address[1]}", {})


def test_requests_share_one_connection(http_server):
    s = _server(http_server)
    for i in range(20):
        assert s.get("/api/2.0/mlflow/ok", {"i": i}) == {"path": f"/api/2.0/mlflow/ok?i={i}"}
    assert len(set(http_server.ports)) == 1 and len(http_server.ports) == 20


def test_a_connection_the_server_closed_is_replaced(http_server):
    http_server.close_after = 2
    s = _server(http_server)
    got = [s.get("/api/2.0/mlflow/ok", {"i": i})["path"] for i in range(20)]
    assert got == [f"/api/2.0/mlflow/ok?i={i}" for i in range(20)]
    assert len(http_server.ports) == 20 and len(set(http_server.ports)) == 10


def test_errors_keep_their_meaning_and_the_connection(http_server):
    s = _server(http_server)
    with pytest.raises(FileNotFoundError, match="HTTP 404 .*RESOURCE_DOES_NOT_EXIST: nope"):
        s.get("/missing")
    assert s.get("/api/2.0/mlflow/ok")["path"] == "/api/2.0/mlflow/ok"
    assert len(set(http_server.ports)) == 1
    assert s.get("/redirect") == {"path": "/api/2.0/mlflow/ok?from=redirect"}  # by urllib
    with pytest.raises(OSError, match="IncompleteRead"):
        s.get("/short")
    assert s.get("/api/2.0/mlflow/ok")["path"] == "/api/2.0/mlflow/ok"


def test_threads_share_the_pool(http_server):
    s = _server(http_server)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: s.get("/api/2.0/mlflow/ok", {"i": i})["path"],
                            range(200)))
    assert got == [f"/api/2.0/mlflow/ok?i={i}" for i in range(200)]
    assert len(set(http_server.ports)) <= 8
    assert len(s.pool.idle) == len(set(http_server.ports))


def test_unreachable_and_proxied(http_server, monkeypatch):
    from s3server import free_port

    with pytest.raises(OSError, match="cannot reach"):
        Server(f"http://127.0.0.1:{free_port()}", {}).get("/x")
    # a proxy from the environment (here the test server): requests go through urllib,
    # which sends them to the proxy with the full URL
    port = http_server.server_address[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    for k in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(k, raising=False)
    s = Server("http://mlflow.invalid:5000", {})
    assert not s.pool.direct
    got = s.get("/api/2.0/mlflow/ok")
    assert got == {"path": "http://mlflow.invalid:5000/api/2.0/mlflow/ok"}
    monkeypatch.setenv("NO_PROXY", "mlflow.invalid")
    assert Server("http://mlflow.invalid:5000", {}).pool.direct


def test_counts_and_urllib_mode(http_server, monkeypatch):
    s = _server(http_server)
    before = mlflow_uri.counts()
    monkeypatch.setattr(mlflow_uri, "KEEPALIVE", False)
    for _ in range(3):
        s.get("/api/2.0/mlflow/ok")
    assert mlflow_uri.counts()[0] - before[0] == 3
    assert len(set(http_server.ports)) == 3  # one connection each, as urllib does
    assert mlflow_http.IDLE_MAX >= 16
