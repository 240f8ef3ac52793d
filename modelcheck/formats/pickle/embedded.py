"""Pickles a JSON document carries as base64 text, scanned without loading them.

diviner's ``GroupedPmdarima.save`` (the file MLflow's diviner flavor names ``data``) writes a
JSON object whose grouped dicts map ``urlsafe_b64encode(pickle.dumps(key))`` to the same
encoding of each value, plus one such string for the model template; ``GroupedPmdarima.load``
decodes and unpickles every one of them. So each of those strings is a pickle diviner's loader
runs, and a hostile one runs code like any ``model.pkl``. This module only decodes the base64
text and hands the bytes to the opcode scanner.

:func:`scan_json_base64` walks the document (keys and values, at most MAX_NODES of them,
nested at most MAX_DEPTH deep), decodes every string in base64's alphabet that starts like an
encoded pickle, and scans it with the opcode scanner; the findings carry where the string is
(``model.div /model key 0``). Nothing is unpickled.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any

from modelcheck.formats.pickle.scanner import PickleScan, looks_like_pickle, scan_bytes

MAX_NODES = 1_000_000
MAX_DEPTH = 64
# base64 (standard or URL-safe alphabet) of at least 4 bytes (the smallest protocol 2+
# pickle, "\x80\x02N."), optionally padded
_B64 = re.compile(r"[A-Za-z0-9+/_-]{6,}={0,2}")
MIN_CHARS = 8
# base64 of "\x80" + a protocol 2-5 byte: "gA" then I-L (2), M-P (3), Q-T (4), U-X (5)
_PROTO_PREFIX = re.compile(r"gA[I-X]")
# protocol 0/1 pickles start with an opcode such as "(" "c" "]" "}": sniffed after decoding
_HEAD_CHARS = 344  # base64 characters of the first 258 bytes (a multiple of 4)


class NotJson(ValueError):
    """The bytes are not a JSON document."""


def scan_json_base64(data: bytes, where: str, deadline: float | None = None) -> PickleScan:
    """The pickles the JSON document ``data`` holds as base64 strings, scanned and merged
    into one scan (``pickles`` counts them; a broken one is a problem, since the loader
    unpickles every such string). Raises :class:`NotJson` when ``data`` is not JSON."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise NotJson(str(exc) or type(exc).__name__) from None
    scan = PickleScan()
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    nodes = 0
    while stack:
        value, ptr, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            scan.limits.append(f"{where}: more than {MAX_NODES} JSON values: the rest was not "
                               "searched for base64 pickles")
            break
        if isinstance(value, str):
            _string(value, f"{where} {ptr or '/'}", scan, deadline)
        elif depth >= MAX_DEPTH:
            if isinstance(value, (dict, list)) and value:
                scan.limits.append(f"{where} {ptr}: JSON nested deeper than {MAX_DEPTH} "
                                   "levels: not searched for base64 pickles")
        elif isinstance(value, dict):
            items = list(value.items())
            for i in range(len(items) - 1, -1, -1):
                key, item = items[i]
                path = f"{ptr}/{_label(key, i)}"
                _string(key, f"{where} {path} (the key)", scan, deadline)
                stack.append((item, path, depth + 1))
        elif isinstance(value, list):
            for i in range(len(value) - 1, -1, -1):
                stack.append((value[i], f"{ptr}/{i}", depth + 1))
    return scan


def _label(key: str, i: int) -> str:
    """A readable pointer step: the key itself, or ``[i]`` (its index) when it is encoded
    data (diviner's keys are base64 pickles of group names)."""
    if len(key) > 40 or _encoded_pickle(key):
        return f"[{i}]"
    return key.replace("~", "~0").replace("/", "~1")


def _encoded_pickle(text: str) -> bool:
    """In base64's alphabet and starting like an encoded pickle: "\x80" and a protocol byte
    (2-5), or, for protocol 0/1, a decoded head that looks like one."""
    if len(text) < MIN_CHARS or not _B64.fullmatch(text):
        return False
    if _PROTO_PREFIX.match(text):
        return True
    head = _decode(text[:_HEAD_CHARS])
    return head is not None and looks_like_pickle(head[:256])


def _string(text: str, where: str, scan: PickleScan, deadline: float | None) -> None:
    if not _encoded_pickle(text):
        return
    raw = _decode(text)
    if raw is None or not looks_like_pickle(raw[:256]):
        return
    sub = scan_bytes(raw, deadline=deadline, where=f"{where} (base64)")
    # what the opcodes met before any failure is kept: they run before a load fails
    scan.merge(sub)
    if sub.problems and _framed(raw):  # a pickle for certain, broken: the load fails
        scan.problems += sub.problems
        scan.is_pickle = True
    # a failure otherwise is text that only decodes to a pickle-like start ("gAINxyz...")


def _framed(raw: bytes) -> bool:
    """Protocol 4/5 as ``pickle.dumps`` writes it: PROTO, then a FRAME whose 8-byte length
    covers the rest of the data (more than the rest: truncated). Text that merely decodes to
    a PROTO header has an absurd frame length there."""
    if len(raw) < 11 or raw[0] != 0x80 or raw[1] not in (4, 5) or raw[2] != 0x95:
        return False
    size = int.from_bytes(raw[3:11], "little")
    return len(raw) - 11 <= size < 1 << 31


def _decode(text: str) -> bytes | None:
    try:
        return binascii.a2b_base64(text.replace("-", "+").replace("_", "/")
                                   + "=" * (-len(text) % 4))
    except binascii.Error:
        return None
