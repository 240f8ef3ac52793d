"""A real S3-compatible HTTP(S) server on 127.0.0.1 (moto's), in a child process, for tests and
the bucket-scan benchmark, plus helpers to fill a bucket with generated model packages.

``python tests/s3server.py PORT [--latency-ms N] [--close] [--shared PORT2] [--tls DIR]``
serves moto's S3 on 127.0.0.1:PORT, keeping connections alive like S3 (``--close``: werkzeug's
one request per connection; ``--tls``: over HTTPS with DIR's certificate, see tlscerts;
werkzeug runs each TLS handshake in its accept loop, one at a time per process, which only
the first scan's new connections pay for);
with ``--latency-ms`` every request is held N ms first (a model of a real network's
first-byte latency, bench only): a ``time.sleep`` on the request's own thread, off the GIL,
so it costs the server no CPU. Requests are counted (``S3Server.stats``).

``s3_server(processes=N)`` runs N such servers the way S3 runs many front ends: each also
listens on one shared port (``--shared``, SO_REUSEPORT: the kernel spreads the client's
connections over them), and each holds its own copy of the buckets, so writes go to every
one (``S3Server.clients()``); ``stats`` adds up the requests and CPU of all of them. One moto
process (one GIL) cannot use more than one core: a bench that wants the client's limits, not
moto's, needs several.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "realworld"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/realworld")
SKLEARN = REPO / "tests" / "rules" / "MC101" / "pass" / "real-sklearn-2.5"
DENY_PATH = "/__modelcheck_test__/deny"
STATS_PATH = "/__modelcheck_test__/stats"
ADMIN = {"AWS_ACCESS_KEY_ID": "admin", "AWS_SECRET_ACCESS_KEY": "admin",
         "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class S3Server:
    endpoint: str
    proc: subprocess.Popen
    # with several processes: each one's own endpoint (its copy of the buckets), all processes
    backends: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen] = field(default_factory=list)
    ca: Path | None = None  # over HTTPS: the certificate authority clients must trust

    def client(self, key: str = "admin", secret: str = "admin", endpoint: str | None = None):
        import boto3

        return boto3.client("s3", endpoint_url=endpoint or self.endpoint,
                            region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret,
                            verify=str(self.ca) if self.ca else None)

    def clients(self, key: str = "admin", secret: str = "admin") -> list:
        """One client per server process: writes must reach every copy of the buckets."""
        return [self.client(key, secret, e) for e in self.backends or [self.endpoint]]

    def iam(self):
        import boto3

        return boto3.client("iam", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="admin", aws_secret_access_key="admin",
                            verify=str(self.ca) if self.ca else None)

    def options(self, key: str = "admin", secret: str = "admin") -> dict[str, str]:
        """``--storage-option`` values for s3fs against this server (over HTTPS: trusting its
        certificate authority, as a private S3 endpoint's users configure it)."""
        out = {"key": key, "secret": secret, "client_kwargs.endpoint_url": self.endpoint,
               "client_kwargs.region_name": "us-east-1"}
        if self.ca:
            out["client_kwargs.verify"] = str(self.ca)
        return out

    def _open(self, req: str | urllib.request.Request) -> Any:
        """urlopen for the test endpoints (trusting this server's authority over HTTPS)."""
        return urllib.request.urlopen(req, timeout=10, context=_trusting(self.ca))

    def stats(self, reset: bool = False) -> dict:
        """Requests served since the last reset: ``{"requests": n, "gets": {key: count},
        "lists": n, "heads": n, "cpu_s": server process CPU seconds}`` (test endpoint)."""
        total: dict = {}
        for endpoint in self.backends or [self.endpoint]:
            url = f"{endpoint}{STATS_PATH}" + ("?reset=1" if reset else "")
            with self._open(url) as resp:
                one = json.loads(resp.read())
            for k, v in one.items():
                if isinstance(v, dict):
                    mine = total.setdefault(k, {})
                    for kk, vv in v.items():
                        mine[kk] = mine.get(kk, 0) + vv
                else:
                    total[k] = total.get(k, 0) + v
        return total

    def deny(self, *patterns: str) -> None:
        """Answer 403 AccessDenied (S3's XML error) for GETs of ``bucket/key`` globs, for
        listings of a bucket given as ``bucket/``, and for the pages after a listing's first
        given as ``bucket/?continuation``; ``@AGENT`` after either: only to the clients whose
        User-Agent starts with ``AGENT/`` (``@!AGENT``: to all others). Enforced by a front on
        this server: moto's own IAM enforcement rejects SigV4 on listings with '/' in the
        query (moto's bug)."""
        for endpoint in self.backends or [self.endpoint]:
            req = urllib.request.Request(f"{endpoint}{DENY_PATH}",
                                         data=json.dumps(list(patterns)).encode(),
                                         method="POST",
                                         headers={"Content-Type": "application/json"})
            with self._open(req) as resp:
                resp.read()


@contextlib.contextmanager
def s3_server(latency_ms: float = 0, keepalive: bool = True, processes: int = 1,
              tls: bool = False) -> Iterator[S3Server]:
    """Moto's S3 in ``processes`` child processes (see the module's docstring); ``tls``: over
    HTTPS, with a certificate from a throw-away authority (``S3Server.ca``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        certs = None
        if tls:
            from tlscerts import make_certs

            certs = make_certs(Path(tmp))
        yield from _servers(latency_ms, keepalive, processes, certs)


def _servers(latency_ms: float, keepalive: bool, processes: int, certs: Any
             ) -> Iterator[S3Server]:
    shared = free_port() if processes > 1 else 0
    scheme = "https" if certs else "http"
    env = dict(os.environ, **ADMIN)
    procs: list[subprocess.Popen] = []
    backends: list[str] = []
    try:
        for _ in range(processes):
            port = free_port()
            cmd = [sys.executable, __file__, str(port)]
            if latency_ms:
                cmd += ["--latency-ms", str(latency_ms)]
            if not keepalive:
                cmd.append("--close")
            if shared:
                cmd += ["--shared", str(shared)]
            if certs:
                cmd += ["--tls", str(certs.cert.parent)]
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE))
            backends.append(f"{scheme}://127.0.0.1:{port}")
        ca = certs.ca if certs else None
        for proc, endpoint in zip(procs, backends, strict=True):
            _wait_up(proc, endpoint, ca)
        if shared:
            _wait_up(procs[0], f"{scheme}://127.0.0.1:{shared}", ca)
            yield S3Server(f"{scheme}://127.0.0.1:{shared}", procs[0], backends, procs, ca)
        else:
            yield S3Server(backends[0], procs[0], ca=ca)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _trusting(ca: Path | None) -> ssl.SSLContext | None:
    """A client TLS context trusting ``ca`` (None over plain HTTP)."""
    return ssl.create_default_context(cafile=str(ca)) if ca else None


def _wait_up(proc: subprocess.Popen, endpoint: str, ca: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    ctx = _trusting(ca)
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2, context=ctx):
                return
        except OSError as exc:
            if isinstance(getattr(exc, "reason", exc), ssl.SSLCertVerificationError):
                raise  # the certificate is wrong: waiting will not mend it
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"moto server did not start: {err[-2000:]}") from None
            time.sleep(0.1)


# -- generated packages ----------------------------------------------------------------------

def corpus_packages() -> list[Path]:
    """Real packages (copied, never edited): the corpus (big 008 left out) and a fixture."""
    found = [SKLEARN]
    if CORPUS.is_dir():
        found += [p for p in sorted(CORPUS.iterdir())
                  if p.is_dir() and not p.name.startswith("008_")]
    return found


def _break(pkg: Path, how: str) -> None:
    """Edit one thing in a copied package."""
    ml = pkg / "MLmodel"
    if how == "no-mlmodel":
        ml.unlink()
    elif how == "bad-yaml":
        ml.write_text(ml.read_text() + "flavors: [unclosed\n")
    elif how == "renamed":
        ml.rename(pkg / "MLModel")
    elif how == "bad-requirements":
        (pkg / "requirements.txt").write_text("mlflow==2.5.0\nscikit-learn=>1.2\n")
    elif how == "bad-signature":
        ml.write_text(ml.read_text() + "signature:\n  inputs: '[{\"type\": \"double\"'\n")


BROKEN = ("no-mlmodel", "bad-yaml", "renamed", "bad-requirements", "bad-signature")


def make_tree(root: Path, n: int) -> list[str]:
    """About ``n`` packages under ``root`` (some broken, some nested); their relative dirs."""
    real = corpus_packages()
    rels: list[str] = []
    i = 0
    while len(rels) < n:
        src = real[i % len(real)] if i < 3 * len(real) else SKLEARN
        group = f"team{i % 7}" + ("/nested/deeper" if i % 11 == 0 else "")
        rel = f"{group}/pkg{i:04d}-{src.name[:24]}"
        shutil.copytree(src, root / rel, copy_function=shutil.copyfile)
        for q in [root / rel, *(root / rel).rglob("*")]:
            q.chmod(0o755 if q.is_dir() else 0o644)  # the corpus is read-only
        if i % 9 == 4:
            _break(root / rel, BROKEN[(i // 9) % len(BROKEN)])
        rels.append(rel)
        i += 1
    # not packages, must be ignored the same way locally and in the bucket
    (root / "team0" / "notes").mkdir(parents=True, exist_ok=True)
    (root / "team0" / "notes" / "README.md").write_text("not a model\n")
    venv = root / "team1" / ".venv" / "lib" / "pkg"
    shutil.copytree(SKLEARN, venv, copy_function=shutil.copyfile)
    return rels


def make_bucket(client, bucket: str, objects: dict[str, bytes]) -> None:
    """Create ``bucket`` holding ``objects`` (key -> body)."""
    client.create_bucket(Bucket=bucket)
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)


def fill_servers(srv: S3Server, root: Path, bucket: str = "bench", prefix: str = "fleet"
                 ) -> int:
    """The tree at ``root`` uploaded under ``bucket/prefix`` to every server process (each
    holds its own copy), in parallel; the number of objects."""
    from concurrent.futures import ThreadPoolExecutor

    def fill(c) -> int:
        c.create_bucket(Bucket=bucket)
        return upload_tree(c, bucket, root, prefix, workers=16)

    clients = srv.clients()
    with ThreadPoolExecutor(len(clients)) as pool:
        return max(pool.map(fill, clients))


def upload_tree(client, bucket: str, root: Path, prefix: str, workers: int = 8) -> int:
    from concurrent.futures import ThreadPoolExecutor

    files = [p for p in root.rglob("*") if p.is_file()]

    def put(p: Path) -> None:
        key = f"{prefix}/{p.relative_to(root).as_posix()}" if prefix else \
            p.relative_to(root).as_posix()
        client.put_object(Bucket=bucket, Key=key, Body=p.read_bytes())

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, files))
    return len(files)


_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
           b"<Message>Access Denied</Message></Error>")


def _count(stats: dict, environ: dict) -> None:
    """Tally one S3 request: object GETs by bucket/key (and by client: the User-Agent's
    first word), listings, HEADs, the rest."""
    method = environ.get("REQUEST_METHOD", "")
    target = environ.get("PATH_INFO", "").lstrip("/")
    stats["requests"] += 1
    if method == "GET" and "/" in target.rstrip("/"):
        stats["gets"][target] = stats["gets"].get(target, 0) + 1
        agent = environ.get("HTTP_USER_AGENT", "").split("/", 1)[0]
        stats["get_agents"][agent] = stats["get_agents"].get(agent, 0) + 1
    elif method == "GET":
        stats["lists"] += 1
    elif method == "HEAD":
        stats["heads"] += 1
    else:
        stats["other"] += 1


def _fresh_stats() -> dict:
    return {"requests": 0, "gets": {}, "get_agents": {}, "lists": 0, "heads": 0, "other": 0}


def _front(app, latency_ms: float):
    """Optional latency, request counts (STATS_PATH), and denials set through DENY_PATH
    (see S3Server.stats and S3Server.deny)."""
    import fnmatch
    import threading

    denied: list[str] = []
    stats = _fresh_stats()
    lock = threading.Lock()

    def front(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == STATS_PATH:
            with lock:
                body = json.dumps(dict(stats, cpu_s=time.process_time())).encode()
                if "reset=1" in environ.get("QUERY_STRING", ""):
                    stats.clear()
                    stats.update(_fresh_stats())
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        with lock:
            _count(stats, environ)
        if latency_ms:
            time.sleep(latency_ms / 1000)
        if path == DENY_PATH:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            denied[:] = json.loads(environ["wsgi.input"].read(size) or b"[]")
            start_response("204 No Content", [])
            return [b""]
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and denied:
            target = path.lstrip("/")
            listing = "/" not in target.rstrip("/")
            if listing:
                target = target.rstrip("/") + "/"
            later = "continuation-token=" in environ.get("QUERY_STRING", "")
            agent = environ.get("HTTP_USER_AGENT", "").split("/", 1)[0]
            if any(_lists(p, target, later, agent) if listing else
                   (not p.endswith("/") and fnmatch.fnmatchcase(target, p)) for p in denied):
                start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                                 ("Content-Length", str(len(_DENIED)))])
                return [_DENIED]
        return app(environ, start_response)

    return front


def _lists(pattern: str, target: str, later: bool, agent: str) -> bool:
    """A listing of ``target`` ("bucket/") matches a deny pattern ``bucket/``, with
    ``?continuation`` its later pages only, with ``@AGENT`` (``@!AGENT``) only for (all but)
    the clients whose User-Agent's first word is AGENT."""
    where, _, who = pattern.partition("@")
    base, _, which = where.partition("?")
    if base != target or (which == "continuation" and not later):
        return False
    return not who or (who[1:] != agent if who.startswith("!") else who == agent)


def _keepalive_handler():
    """werkzeug's request handler, answering with Content-Length and keeping the connection
    open like S3 does (werkzeug's own closes every connection after one response, so each
    request would pay a new TCP connection and a new server thread: not how S3 behaves)."""
    import io

    from werkzeug.serving import DechunkedInput, WSGIRequestHandler

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK wait)

        def run_wsgi(self) -> None:
            environ = self.make_environ()
            stream = environ["wsgi.input"]
            if environ.pop("wsgi.input_terminated", False):  # chunked request body
                body = stream.read() if isinstance(stream, DechunkedInput) else b""
            else:
                body = self.rfile.read(int(environ.get("CONTENT_LENGTH") or 0))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input"] = io.BytesIO(body)  # always drained: the connection is clean
            environ["CONTENT_LENGTH"] = str(len(body))
            started: list = []
            chunks: list[bytes] = []

            def start_response(status, headers, exc_info=None):
                started[:] = [status, headers]
                return chunks.append

            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            data = b"".join(chunks)
            status, headers = started
            code, _, reason = status.partition(" ")
            self.send_response(int(code), reason)
            names = set()
            for k, v in headers:
                if k.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(k, v)
                    names.add(k.lower())
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(data)))
            # head and body in one write, as servers that buffer their output send them
            # (werkzeug's two writes, with Nagle off, made every answer two TCP segments: two
            # wake-ups and reads on the client, two sends here)
            body = self.command != "HEAD" and int(code) not in (204, 304)
            if self.request_version == "HTTP/0.9":
                self.end_headers()
                if body:
                    self.wfile.write(data)
                return
            self._headers_buffer.append(b"\r\n")
            if body:
                self._headers_buffer.append(data)
            self.flush_headers()

    return KeepAlive


def _memo_dispatcher():
    """moto's host dispatcher, with its host -> backend lookup memoized. moto answers it anew
    for every request by listing its own package directory and trying a few hundred URL
    regexes, which was about 40% of this server's CPU per GET; the answer depends on the
    host string alone, so caching it changes nothing a client can see."""
    from moto.server import DomainDispatcherApplication

    class MemoDispatcher(DomainDispatcherApplication):
        def __init__(self, create_app) -> None:
            super().__init__(create_app)
            self._backend_of: dict = {}

        def get_backend_for_host(self, host):
            try:
                return self._backend_of[host]
            except KeyError:
                found = self._backend_of[host] = super().get_backend_for_host(host)
                return found

    return MemoDispatcher


def _serve(port: int, latency_ms: float, keepalive: bool = True, shared: int = 0,
           tls: str = "") -> None:
    import logging
    import threading

    from moto.server import create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = _front(_memo_dispatcher()(create_backend_app), latency_ms)
    handler = _keepalive_handler() if keepalive else None
    ssl_context = None
    if tls:  # the certificate tlscerts.make_certs wrote there
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(os.path.join(tls, "server.pem"),
                                    os.path.join(tls, "server.key"))
    if shared:  # also serve the same app on the port shared with the other processes
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", shared))
        sock.listen(1024)
        front = make_server("127.0.0.1", shared, app, threaded=True, request_handler=handler,
                            fd=sock.fileno(), ssl_context=ssl_context)
        threading.Thread(target=front.serve_forever, daemon=True).start()
    make_server("127.0.0.1", port, app, threaded=True, request_handler=handler,
                ssl_context=ssl_context).serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    lat = float(args[args.index("--latency-ms") + 1]) if "--latency-ms" in args else 0.0
    share = int(args[args.index("--shared") + 1]) if "--shared" in args else 0
    certs_dir = args[args.index("--tls") + 1] if "--tls" in args else ""
    _serve(int(args[0]), lat, keepalive="--close" not in args, shared=share, tls=certs_dir)
