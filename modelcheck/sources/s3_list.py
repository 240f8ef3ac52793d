"""Bucket listings (S3 ListObjectsV2) over the direct reader's keep-alive connections.

A bucket scan starts with one recursive listing of its root: through s3fs, botocore parses
each page of 1000 keys into dictionaries (its generic XML parser, a timestamp per key, about
forty event hooks), which cost as much CPU as the rules of a few packages. Here each page is
one signed ``GET /bucket?list-type=2&prefix=...`` on the connections of
:mod:`modelcheck.sources.s3_direct` (same endpoint, credentials, TLS settings and pool), read
with expat (``xml.etree``), keeping only what the scan uses: each key and its size.

Keys are asked for URL-encoded (``encoding-type=url``, as botocore does), so keys with any
character survive, and decoded as botocore decodes them (``unquote_plus``). Pages follow
``NextContinuationToken`` until ``IsTruncated`` is false. No probe GET comes first (a round
trip before the first page): a well-formed page proves that S3 takes the signature, and sets
the bucket up for the direct reader's GETs (:meth:`DirectS3.listed`); a listing that falls back
leaves the bucket to be set up, probe and all, by its first GET. Any answer but a well-formed page
(a denial, a missing bucket, a 5xx, a network failure, a body that is not a listing, a key
outside the prefix, a token seen before) makes :func:`list_keys` return None: the caller
lists through s3fs from the start, which reports failures its usual way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote_plus

# keys per listing page asked for (None: S3's default, 1000); tests set it to make many pages
PAGE_KEYS: int | None = None


def list_keys(fs: Any, root: str) -> list[tuple[str, int]] | None:
    """Every object under the fs path ``root`` ("bucket" or "bucket/prefix") as
    ``("bucket/key", size)`` pairs in S3's order, or None: list through s3fs instead."""
    from modelcheck.sources.s3_direct import direct_for

    direct = direct_for(fs)
    bucket, _, key = root.partition("/")
    if direct is None or not bucket:
        return None
    from fsspec.asyn import sync

    try:
        return sync(fs.loop, alist, direct, bucket, key + "/" if key else "")
    except Exception:  # noqa: BLE001 - s3fs lists it and says what is wrong
        return None


def query_of(params: dict[str, str]) -> str:
    """SigV4's canonical query string: names sorted, names and values percent-encoded but
    for ``A-Za-z0-9-_.~`` (sent as it is signed)."""
    enc = [(quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params.items()]
    return "&".join(f"{k}={v}" for k, v in sorted(enc))


async def alist(direct: Any, bucket: str, prefix: str,
                on_page: Callable[[list[tuple[str, int]]], None] | None = None,
                delimiter: bool = False) -> list[tuple[str, int]] | None:
    """:func:`list_keys` on the backend's loop: ``prefix`` is "" or ends with "/".
    ``on_page`` gets each page's ``("bucket/key", size)`` pairs as it lands (a caller may
    start on them before the listing ends); with ``delimiter``, only the objects right under
    ``prefix`` are listed, and its sub-folders come after them as ``("bucket/prefix/dir/",
    -1)`` pairs (S3's CommonPrefixes)."""
    # no probe GET first (one round trip): a well-formed first page proves the signing
    b = await direct.listing_bucket(bucket)
    if b is None:
        return None
    proven = b.proven
    out: list[tuple[str, int]] = []
    dirs: list[tuple[str, int]] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        params = {"list-type": "2", "encoding-type": "url", "prefix": prefix}
        if delimiter:
            params["delimiter"] = "/"
        if PAGE_KEYS is not None:
            params["max-keys"] = str(PAGE_KEYS)
        if token is not None:
            params["continuation-token"] = token
        got = await direct.request(b, b.bucket_head(query_of(params)))
        if not isinstance(got, bytes):
            return None
        page = _parse(got, prefix, delimiter)
        if page is None:
            return None
        keys, sub, token = page
        if not proven:
            direct.listed(bucket, b)
            proven = True
        found = [(f"{bucket}/{k}", size) for k, size in keys]
        out += found
        dirs += ((f"{bucket}/{d}", -1) for d in sub)
        if on_page is not None and found:
            on_page(found)
        if token is None:
            return out + dirs
        if token in seen:  # a server going round in circles
            return None
        seen.add(token)


def parse_page(body: bytes, prefix: str) -> tuple[list[tuple[str, int]], str | None] | None:
    """One ListObjectsV2 page: its ``(key, size)`` pairs and the token of the next page
    (None on the last page); None when ``body`` is not a well-formed page of ``prefix``."""
    page = _parse(body, prefix, False)
    return None if page is None else (page[0], page[2])


def _parse(body: bytes, prefix: str, delimiter: bool
           ) -> tuple[list[tuple[str, int]], list[str], str | None] | None:
    """:func:`parse_page`, and with ``delimiter`` the page's sub-folders of ``prefix``
    (CommonPrefixes, each ending with "/")."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    tag = root.tag
    if not tag.endswith("ListBucketResult"):
        return None
    ns = tag[: -len("ListBucketResult")]
    if ns and not (ns.startswith("{") and ns.endswith("}")):
        return None
    encoding = root.findtext(ns + "EncodingType")
    if encoding not in (None, "url"):
        return None
    keys: list[tuple[str, int]] = []
    key_tag, size_tag = ns + "Key", ns + "Size"
    for item in root.iterfind(ns + "Contents"):
        key, size = item.findtext(key_tag), item.findtext(size_tag)
        if key is None or size is None or not (size.isascii() and size.isdigit()):
            return None
        if encoding:
            key = unquote_plus(key)
        if not key.startswith(prefix) or (delimiter and "/" in key[len(prefix):]):
            return None
        keys.append((key, int(size)))
    dirs: list[str] = []
    for item in root.iterfind(ns + "CommonPrefixes") if delimiter else ():
        sub = item.findtext(ns + "Prefix")
        if sub is None:
            return None
        if encoding:
            sub = unquote_plus(sub)
        rest = sub[len(prefix):]
        if not sub.startswith(prefix) or not rest.endswith("/") or "/" in rest[:-1] \
                or rest == "/":
            return None
        dirs.append(sub)
    truncated = root.findtext(ns + "IsTruncated")
    if truncated == "false":
        return keys, dirs, None
    if truncated != "true":
        return None
    token = root.findtext(ns + "NextContinuationToken")
    return (keys, dirs, token) if token else None
