"""Plain signed GETs for the small files of an s3fs bucket scan.

A bucket scan reads a few small files per package (MLmodel, the environment files, the input
example). Through s3fs each GET runs botocore's whole per-call pipeline (parameter checks,
endpoint rules, about forty event hooks, response parsing): about 1 ms of CPU, several times
the cost of the HTTP request itself, and in a scan the client's CPU is what limits ``--jobs``.
:class:`DirectS3` sends those GETs itself, on the very aiohttp session (connection pool, TLS
settings, timeouts) of the s3fs client, signed by botocore's own SigV4 signer with that
client's credentials; the object's URL is the one botocore builds (learnt once per bucket from
a presigned URL, so addressing style and region rules stay botocore's).

It is only an optimisation, used where nothing unusual is configured (no proxy, no
requester-pays, SSE-C or versioned reads, default signing). Any answer but a plain 200 with
the expected length, or S3's AccessDenied / NoSuchKey once the bucket has served a GET, makes
:meth:`DirectS3.get` return None: the caller reads the file through s3fs, which reports errors
its usual way; if s3fs can read what the direct GET could not, the bucket goes back to s3fs.
Redirects are never followed; nothing here logs URLs or headers (they carry signatures).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from typing import Any

from modelcheck.version import __version__

PROBE_KEY = "modelcheck-probe"
USER_AGENT = f"modelcheck/{__version__} (direct GET)"
ERROR_BODY_MAX = 16 * 1024
_ERRORS = {"AccessDenied": PermissionError, "NoSuchKey": FileNotFoundError}
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
    """What one bucket's GETs need: URL prefix, signer inputs, the HTTP session."""

    def __init__(self, prefix: str, session: Any, credentials: Any, region: str,
                 timeout: Any) -> None:
        self.prefix = prefix
        self.session = session
        self.credentials = credentials  # None: unsigned (anonymous) requests
        self.region = region
        self.timeout = timeout
        self.proven = False  # S3 accepted our signature: later errors are the objects'


class DirectS3:
    """The direct reader of one s3fs filesystem: per-bucket setup, then signed GETs."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs
        self._buckets: dict[str, _Bucket | None] = {}
        self._pending: dict[str, asyncio.Future] = {}
        self.used = 0  # GETs answered here (tests and the benchmark read it)
        self.fallbacks = 0  # GETs handed back to s3fs

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
        try:
            got = await self._fetch(b, key, size)
        except Exception:  # noqa: BLE001 - any failure: s3fs reads it and reports it
            got = None
        if isinstance(got, bytes):
            b.proven = True
            self.used += 1
            return got
        if got is not None and b.proven:
            self.used += 1
            return got
        self.fallbacks += 1
        return None

    def s3fs_read(self, path: str) -> None:
        """s3fs read ``path`` after :meth:`get` gave up on it: then this bucket's direct
        GETs are wrong somehow (not the object), and the bucket goes back to s3fs."""
        self._buckets[path.partition("/")[0]] = None

    async def _fetch(self, b: _Bucket, key: str, size: int) -> bytes | BaseException | None:
        from botocore.awsrequest import AWSRequest
        from botocore.utils import percent_encode

        url = b.prefix + percent_encode(key, safe="/~")
        req = AWSRequest(method="GET", url=url, headers={})
        if b.credentials is not None:
            from botocore.auth import S3SigV4Auth

            creds = await b.credentials.get_frozen_credentials()
            S3SigV4Auth(creds, "s3", b.region).add_auth(req)
        headers = {k: v for k, v in req.headers.items()}
        headers["Accept-Encoding"] = "identity"
        headers["User-Agent"] = USER_AGENT
        from yarl import URL  # aiohttp's; encoded=True: sent exactly as signed

        async with b.session.get(URL(url, encoded=True), headers=headers, allow_redirects=False,
                                 timeout=b.timeout) as resp:
            if resp.status in (403, 404):
                return s3_error(await resp.content.read(ERROR_BODY_MAX))
            if resp.status != 200 or resp.content_length not in (None, size):
                return None
            parts, got = [], 0
            while got <= size:  # never hold more than one byte past what was listed
                chunk = await resp.content.read(size + 1 - got)
                if not chunk:
                    break
                parts.append(chunk)
                got += len(chunk)
            return b"".join(parts) if got == size else None

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

    async def _setup(self, bucket: str) -> _Bucket | None:
        """Learn the bucket's URL prefix and signing inputs from s3fs's client (None: the
        client is configured in a way this does not copy, or is not the one expected)."""
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
        session = await http._get_session(None)
        import aiohttp

        if not isinstance(session, aiohttp.ClientSession):
            return None
        timeout = aiohttp.ClientTimeout(sock_connect=cfg.connect_timeout,
                                        sock_read=cfg.read_timeout)
        b = _Bucket(base[: -len(PROBE_KEY)], session, credentials, s3.meta.region_name,
                    timeout)
        # S3 checks a request's signature before it looks for the key: NoSuchKey for this
        # made-up key proves the signing (AccessDenied, without s3:ListBucket, proves less)
        probe = await self._fetch(b, PROBE_KEY, 0)
        if isinstance(probe, FileNotFoundError):
            b.proven = True
        elif not isinstance(probe, PermissionError):
            return None
        return b
