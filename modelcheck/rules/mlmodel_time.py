"""MC114-MC116: `utc_time_created` is absent, malformed or implausible."""

from __future__ import annotations

import datetime as dt
import re

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_PTR = "/utc_time_created"
_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?$")
_EARLIEST = dt.datetime(2018, 1, 1)
_SLACK = dt.timedelta(days=1)


def parse_created(value: object) -> dt.datetime | None:
    """The timestamp MLflow wrote (``str(naive datetime)``), or None when not that format."""
    if isinstance(value, dt.datetime):  # unquoted in YAML: read as a timestamp
        return value.replace(tzinfo=None) if value.tzinfo is None else (
            value.astimezone(dt.timezone.utc).replace(tzinfo=None))
    if not isinstance(value, str) or not _FORMAT.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


@rule("MC114", "mlmodel-time-created-missing", Level.NOTE, tags=("mlmodel",))
def mlmodel_time_created_missing(pkg):
    """`MLmodel` has no `utc_time_created`.

    What it checks
    The top-level `utc_time_created` key, which every MLflow version writes.

    Why it matters
    Loading still works (MLflow fills in the current time), but a missing creation time means
    the file was written by hand or by another tool, and audits lose when the model was made.

    Example
    A hand-written `MLmodel` with only `flavors`.

    How to fix
    Add `utc_time_created: 'YYYY-MM-DD HH:MM:SS.ffffff'` (UTC), or re-save the model.
    """
    meta = pkg.meta
    if meta and "utc_time_created" not in meta:
        yield Hit("MLmodel has no 'utc_time_created' (MLflow always writes it, e.g. "
                  "'2025-05-20 03:12:04.551265')", file="MLmodel", line=1, pointer=_PTR,
                  fix="add utc_time_created in UTC, format 'YYYY-MM-DD HH:MM:SS.ffffff'")


@rule("MC115", "mlmodel-time-created-format", Level.WARNING, tags=("mlmodel",))
def mlmodel_time_created_format(pkg):
    """`utc_time_created` is not in MLflow's `YYYY-MM-DD HH:MM:SS[.ffffff]` format.

    What it checks
    The value of `utc_time_created`: MLflow writes `str(datetime)` in UTC, e.g.
    `'2026-11-22 02:16:25.552663'` (the fraction is left out when it is exactly 0). An
    unquoted value that YAML reads as a timestamp is accepted.

    Why it matters
    MLflow does not parse it on load, but tools that sort or audit models do; an ISO `T`/`Z`
    form, an epoch number or free text means a hand edit or another writer.

    Example
    `utc_time_created: 1700000000` or `utc_time_created: '2023-11-30T21:54:24Z'`.

    How to fix
    Write the UTC time as `'YYYY-MM-DD HH:MM:SS.ffffff'`.
    """
    meta = pkg.meta
    if "utc_time_created" not in meta or meta["utc_time_created"] is None:
        return
    value = meta["utc_time_created"]
    if parse_created(value) is None:
        yield Hit(f"utc_time_created is {value!r}; expected MLflow's UTC format "
                  "'YYYY-MM-DD HH:MM:SS[.ffffff]'", file="MLmodel", line=pkg.line(_PTR),
                  pointer=_PTR, fix="write it as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC")


@rule("MC116", "mlmodel-time-created-implausible", Level.NOTE, tags=("mlmodel",))
def mlmodel_time_created_implausible(pkg):
    """`utc_time_created` lies in the future or before 2018.

    What it checks
    A well-formed `utc_time_created` more than a day ahead of now, or earlier than 2018
    (before MLflow's first releases).

    Why it matters
    The time cannot be right: the writer's clock was wrong or the value was edited, so it
    cannot be trusted to order or audit models.

    Example
    `utc_time_created: '2099-01-01 00:00:00'`.

    How to fix
    Correct the writer's clock (or the value) and re-save the model.
    """
    when = parse_created(pkg.meta.get("utc_time_created"))
    if when is None:
        return
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if when > now + _SLACK:
        what = f"in the future (now is {now:%Y-%m-%d %H:%M} UTC)"
    elif when < _EARLIEST:
        what = "before 2018, earlier than any MLflow release"
    else:
        return
    yield Hit(f"utc_time_created {when} is {what}", file="MLmodel", line=pkg.line(_PTR),
              pointer=_PTR, fix="check the writer's clock and re-save the model")
