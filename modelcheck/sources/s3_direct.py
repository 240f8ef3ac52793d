"""Plain signed GETs for the small files of an s3fs bucket scan.

A bucket scan reads a few small files per package (MLmodel, the environment files, the input
example). Through s3fs each GET runs botocore's whole per-call pipeline (parameter checks,
endpoint rules, about forty event hooks, response parsing): about 1 ms of CPU, several times
the cost of the HTTP request itself, and in a scan the client's CPU is what limits ``--jobs``.
:class:`DirectS3` sends those GETs itself, as raw HTTP/1.1 keep-alive requests
(:mod:`modelcheck.sources.s3_http`) with the s3fs client's TLS settings, timeouts, pool size
and credentials, SigV4-signed with a signing key cached per day; the object's URL is the one
botocore builds (learnt once per bucket from a presigned URL, so addressing style and region
rules stay botocore's).

It is only an optimisation, used where nothing unusual is configured (no proxy, no
requester-pays, SSE-C or versioned reads, default signing). Any answer but a plain 200 with
the expected length, or S3's AccessDenied / NoSuchKey once the bucket has served a GET, makes
:meth:`DirectS3.get` return None: the caller reads the file through s3fs, which reports errors
its usual way; if s3fs can read what the direct GET could not (and the network did not fail
it: a reset, a timeout), the bucket goes back to s3fs.
Redirects are never followed; nothing here logs URLs or headers (they carry signatures).
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from modelcheck.sources.s3_http import GiveUp, Pool, Signer
from modelcheck.version import __version__

PROBE_KEY = "modelcheck-probe"
USER_AGENT = f"modelcheck/{__version__} (direct GET)"
CREDENTIALS_AGE = 60.0  # seconds between looks at the client's (maybe refreshed) credentials
_ERRORS = {"AccessDenied": PermissionError, "NoSuchKey": FileNotFoundError}
# keys that quote(key, safe="/~") returns unchanged (its always-safe set, and "/")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch
_STATE: weakref.WeakKeyDictionary[Any, DirectS3 | None] = weakref.WeakKeyDictionary()


def direct_for(fs: Any) -> DirectS3 | None:
    """The direct reader of an s3fs filesystem, or None where it does not apply."""
    try:
        return _STATE[fs]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable
        return None
    found = DirectS3(fs) if _eligible(fs) else None
    _STATE[fs] = found
    return found


def _eligible(fs: Any) -> bool:
    cls = type(fs)
    if cls.__name__ != "S3FileSystem" or not cls.__module__.startswith("s3fs"):
        return False
    if getattr(fs, "version_aware", False) or getattr(fs, "requester_pays", False):
        return False
    if getattr(fs, "req_kw", None) or getattr(fs, "s3_additional_kwargs", None):
        return False  # SSE-C keys, RequestPayer... belong on every request: leave it to s3fs
    return True


def s3_error(body: bytes) -> BaseException | None:
    """The exception s3fs raises for an S3 XML error body, for the codes handled here
    (AccessDenied, NoSuchKey); None for any other answer."""
    text = body.decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]{1,64})</Code>", text)
    make = _ERRORS.get(code.group(1)) if code else None
    if make is None:
        return None
    msg = re.search(r"<Message>([^<]{0,512})</Message>", text)
    return make(msg.group(1) if msg else code.group(1))


class _Bucket:
    """What one bucket's GETs need: the URL path prefix, the signer, the connection pool."""

    def __init__(self, prefix: str, pool: Pool, host: str, credentials: Any,
                 region: str, https: bool) -> None:
        self.prefix = prefix  # URL path of the bucket's keys ("/bucket/" or "/")
        self.pool = pool
        self.host = host
        self.credentials = credentials  # None: unsigned (anonymous) requests
        self.region = region
        self.https = https
        self.signer: Signer | None = None
        self.signed_at = -1e9
        self.refreshing = False
        self.proven = False  # S3 accepted our signature: later errors are the objects'
        self.fixed = f"Host: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept-Encoding: identity\r\n"

    async def sign_with_current(self) -> None:
        """Take the client's current credentials (refreshable ones renew themselves)."""
        if self.credentials is None:
            return
        got = self.credentials.get_frozen_credentials()
        creds = await got if inspect.isawaitable(got) else got
        s = self.signer
        if s is None or (s.access_key, s.secret_key, s.token) != \
                (creds.access_key, creds.secret_key, creds.token):
            self.signer = Signer(creds.access_key, creds.secret_key, creds.token, self.region,
                                 self.host, self.https)
        self.signed_at = time.monotonic()

    def head(self, key: str) -> bytes:
        # quote() leaves these keys as they are: skip it (most keys)
        path = self.prefix + (key if _PLAIN_KEY(key) else quote(key, safe="/~"))
        signed = self.signer.headers(path) if self.signer is not None else ""
        return f"GET {path} HTTP/1.1\r\n{self.fixed}{signed}\r\n".encode()

    def bucket_head(self, query: str) -> bytes:
        """A GET of the bucket itself (a listing) with the canonical query string ``query``;
        the bucket's URL as botocore builds it (``/bucket`` path style, ``/`` virtual)."""
        path = self.prefix[:-1] or "/"
        signed = self.signer.headers(path, query) if self.signer is not None else ""
        return f"GET {path}?{query} HTTP/1.1\r\n{self.fixed}{signed}\r\n".encode()


class DirectS3:
    """The direct reader of one s3fs filesystem: per-bucket setup, then signed GETs."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs
        self._buckets: dict[str, _Bucket | None] = {}
        self._pending: dict[str, asyncio.Future] = {}
        self._pools: dict[tuple, Pool] = {}
        self._network_faults: set[str] = set()  # paths given up on for a network failure
        self.used = 0  # GETs answered here (tests and the benchmark read it)
        self.fallbacks = 0  # GETs handed back to s3fs

    def ready(self, path: str) -> bool:
        """True when ``path``'s bucket is set up (then :meth:`start` answers for it)."""
        return path.partition("/")[0] in self._buckets

    def start(self, path: str, size: int, done: Callable[[Any], None]) -> bool:
        """:meth:`get` with a callback, for a bucket already set up (on the loop's thread);
        False (``done`` never called) when it is not: then use :meth:`get`."""
        bucket, _, key = path.partition("/")
        if bucket not in self._buckets:
            return False
        b = self._buckets[bucket]
        if b is None or not key:
            done(None)
            return True
        self._send(b, path, key, size, done)
        return True

    async def bucket(self, bucket: str) -> _Bucket | None:
        """The set-up bucket (its probe done), or None: no direct requests for it."""
        return await self._bucket(bucket)

    async def listing_bucket(self, bucket: str) -> _Bucket | None:
        """The bucket for a listing: the set-up one, or one set up now WITHOUT the probe GET
        (a round trip before the first page): the listing's own well-formed page proves the
        signing, and :meth:`listed` then makes it the bucket's; None: no direct listing."""
        if bucket in self._buckets:
            return self._buckets[bucket]
        if bucket in self._pending:  # a GET's setup (with its probe) is under way
            return await self._bucket(bucket)
        try:
            found = await self._setup(bucket, probe=False)
        except Exception:  # noqa: BLE001 - no fast path for this bucket
            found = None
        if found is None:  # what the probe would have found too: not for this client
            self._buckets.setdefault(bucket, None)
        return found

    def listed(self, bucket: str, b: _Bucket) -> None:
        """S3 answered a signed listing of ``bucket`` (set up by :meth:`listing_bucket`)
        with a well-formed page: the signing works, GETs of the bucket may go direct."""
        b.proven = True
        self._buckets.setdefault(bucket, b)

    async def request(self, b: _Bucket, head: bytes, size: int = -1) -> Any:
        """Send ``head`` (made by ``b``) and return what :meth:`Pool.get` answers: the body,
        ``(status, body)`` for 403/404, or a GiveUp (``size`` -1: any length)."""
        self._fresh(b)
        fut = asyncio.get_running_loop().create_future()
        b.pool.get(head, size, fut.set_result)
        return await fut

    async def get(self, path: str, size: int) -> bytes | BaseException | None:
        """The whole object at ``path`` ("bucket/key") of ``size`` bytes (from the listing);
        PermissionError or FileNotFoundError when S3 says AccessDenied or NoSuchKey for it
        once S3 has accepted this bucket's signature (its probe, or a GET); or None: read it
        through s3fs instead."""
        bucket, _, key = path.partition("/")
        if not key:
            return None
        b = await self._bucket(bucket)
        if b is None:
            return None
        fut = asyncio.get_running_loop().create_future()
        self._send(b, path, key, size, fut.set_result)
        return await fut

    def _fresh(self, b: _Bucket) -> None:
        """Look at the client's credentials again now and then (refreshed ones change)."""
        if b.credentials is not None and time.monotonic() - b.signed_at > CREDENTIALS_AGE \
                and not b.refreshing:
            b.refreshing = True
            asyncio.ensure_future(self._refresh(b))

    def _send(self, b: _Bucket, path: str, key: str, size: int,
              done: Callable[[Any], None]) -> None:
        self._fresh(b)

        def answer(got: Any) -> None:
            if isinstance(got, bytes):
                b.proven = True
                self.used += 1
                done(got)
                return
            if isinstance(got, tuple):
                err = s3_error(got[1])
                if err is not None and b.proven:
                    self.used += 1
                    done(err)
                    return
            elif isinstance(got, GiveUp) and got.transport:
                self._network_faults.add(path)
            self.fallbacks += 1
            done(None)

        b.pool.get(b.head(key), size, answer)

    async def _refresh(self, b: _Bucket) -> None:
        try:
            await b.sign_with_current()
        except Exception:  # noqa: BLE001 - keep signing with what we have; S3 will say
            pass
        finally:
            b.refreshing = False

    def s3fs_read(self, path: str) -> None:
        """s3fs read ``path`` after :meth:`get` gave up on it: then this bucket's direct
        GETs are wrong somehow (not the object), and the bucket goes back to s3fs; unless
        the give-up was the network's (a reset, a timeout), which s3fs simply retried."""
        if path in self._network_faults:
            self._network_faults.discard(path)
            return
        self._buckets[path.partition("/")[0]] = None

    async def _bucket(self, bucket: str) -> _Bucket | None:
        if bucket in self._buckets:
            return self._buckets[bucket]
        fut = self._pending.get(bucket)
        if fut is None:
            fut = self._pending[bucket] = asyncio.ensure_future(self._setup(bucket))
        try:
            found = await asyncio.shield(fut)
        except Exception:  # noqa: BLE001 - no fast path for this bucket
            found = None
        self._buckets.setdefault(bucket, found)
        self._pending.pop(bucket, None)
        return self._buckets[bucket]

    async def _setup(self, bucket: str, probe: bool = True) -> _Bucket | None:
        """Learn the bucket's URL prefix and signing inputs from s3fs's client (None: the
        client is configured in a way this does not copy, or is not the one expected), and
        (``probe``) check that S3 takes the signature."""
        import botocore

        await self.fs.set_session()  # a no-op once s3fs has its client
        s3 = await self.fs.get_s3(bucket)
        cfg = s3.meta.config
        unsigned = cfg.signature_version is botocore.UNSIGNED
        if not unsigned and cfg.signature_version not in (None, "s3v4", "v4"):
            return None
        http = s3._endpoint.http_session
        url = await s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": PROBE_KEY}, ExpiresIn=60)
        base = url.split("?", 1)[0]
        if not base.endswith("/" + PROBE_KEY) or not base.startswith(("https://", "http://")):
            return None
        if http._proxy_config.proxy_url_for(base):
            return None
        credentials = None if unsigned else s3._request_signer._credentials
        if not unsigned and credentials is None:
            return None
        parts = urlsplit(base)
        https = parts.scheme == "https"
        ssl_ctx = None
        if https:  # the very TLS settings (verify, CA bundle, client cert) of s3fs's client
            import ssl

            session = await http._get_session(None)
            ssl_ctx = getattr(getattr(session, "connector", None), "_ssl", None)
            if not isinstance(ssl_ctx, ssl.SSLContext):
                return None
        if not parts.hostname or "@" in parts.netloc:
            return None
        port = parts.port or (443 if https else 80)
        loop = asyncio.get_running_loop()
        key = (parts.hostname, port, https)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Pool(loop, parts.hostname, port, ssl_ctx,
                                           cfg.max_pool_connections or 10,
                                           cfg.connect_timeout, cfg.read_timeout)
        b = _Bucket(parts.path[: -len(PROBE_KEY)], pool, parts.netloc, credentials,
                    s3.meta.region_name, https)
        await b.sign_with_current()
        if not probe:
            return b
        # S3 checks a request's signature before it looks for the key: NoSuchKey for this
        # made-up key proves the signing (AccessDenied, without s3:ListBucket, proves less)
        fut = loop.create_future()
        pool.get(b.head(PROBE_KEY), 0, fut.set_result)
        probe = await fut
        err = s3_error(probe[1]) if isinstance(probe, tuple) else None
        if isinstance(err, FileNotFoundError):
            b.proven = True
        elif not isinstance(err, PermissionError):
            return None
        return b
