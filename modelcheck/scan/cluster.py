"""Run a scan on an existing Dask cluster: ``modelcheck check TARGET --dask tcp://HOST:8786``.

The scheduler's address comes from ``--dask`` (or, for ``--dask`` given last or as
``--dask=``, from ``DASK_SCHEDULER_ADDRESS``). The work itself goes through
:mod:`modelcheck.scan.executor` on the client's ``concurrent.futures`` executor. Dask
(``pip install 'modelcheck[dask]'``) is imported only here, only when asked for.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from concurrent.futures import Executor

ENV = "DASK_SCHEDULER_ADDRESS"
INSTALL_HINT = "--dask needs the dask extra: pip install 'modelcheck[dask]'"
# a task that raised is run again up to this many times (on any worker); a task whose worker
# died is rescheduled by the scheduler itself (its ``allowed-failures``, 3 by default)
RETRIES = 2
CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler, and again to see a worker
_ADDRESS = re.compile(r"([a-z][a-z0-9+.-]*://\S+|[\w.\-]+:\d+|\[[0-9a-fA-F:]+\]:\d+)")


class ClusterError(Exception):
    """The cluster cannot be used (no dask, bad address, no scheduler, no worker): exit 2."""


def scheduler_address(value: str | None) -> str:
    """The scheduler address for ``--dask VALUE``: VALUE, or ``$DASK_SCHEDULER_ADDRESS``
    when VALUE is empty. A VALUE that is not an address (``--dask tree/`` would take a path)
    is refused rather than guessed at."""
    if not value:
        value = os.environ.get(ENV, "").strip()
        if not value:
            raise ClusterError(f"--dask without an address needs {ENV} to be set "
                               "(or give --dask tcp://HOST:8786)")
    if not _ADDRESS.fullmatch(value):
        raise ClusterError(f"--dask {value!r} is not a Dask scheduler address "
                           f"(tcp://HOST:8786); to take it from {ENV}, give --dask last or "
                           "as --dask=")
    return value


def connect(address: str, timeout: float = CONNECT_TIMEOUT):
    """A ``distributed.Client`` of the scheduler at ``address``, with at least one worker."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ClusterError(INSTALL_HINT) from exc
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: "
                           f"{type(exc).__name__}: {exc}") from exc
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no worker "
                           f"(waited {timeout:g} s)") from exc
    return client


def executor_of(client) -> Executor:
    """The client's ``concurrent.futures`` executor: every task its own (not deduplicated
    by its arguments), retried RETRIES times when it raises."""
    return client.get_executor(pure=False, retries=RETRIES)


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """An executor on the cluster at ``address``; the client is closed on leaving."""
    client = connect(address)
    try:
        yield executor_of(client)
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
