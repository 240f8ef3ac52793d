"""A real Dask cluster on 127.0.0.1, for tests and the cluster benchmark: a scheduler
process and worker processes (each under a nanny, which starts it again if it dies), all
started here as subprocesses and stopped on leaving.

    with dask_cluster(workers=2) as c:
        client = c.client()   # a distributed.Client of it
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Cluster:
    address: str
    procs: list[subprocess.Popen] = field(default_factory=list)
    _clients: list = field(default_factory=list)

    def client(self):
        from distributed import Client

        c = Client(self.address, timeout=30, set_as_default=False)
        self._clients.append(c)
        return c

    def worker_pids(self, client) -> dict[str, int]:
        """Worker address -> pid of the worker process (not its nanny)."""
        return client.run(os.getpid)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the nannies' workers too
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def dask_cluster(workers: int = 2, threads: int = 1, env: dict[str, str] | None = None,
                 timeout: float = 90) -> Iterator[Cluster]:
    """A scheduler and ``workers`` worker processes of ``threads`` threads each, on
    127.0.0.1, with ``env`` added to the workers' environment."""
    tmp = Path(tempfile.mkdtemp(prefix="modelcheck-dask-"))
    sched_file = tmp / "scheduler.json"
    quiet = dict(os.environ, DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
    procs: list[subprocess.Popen] = []
    cluster = None
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
            env=quiet, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True))
        deadline = time.monotonic() + timeout
        while not sched_file.is_file() or not sched_file.read_text().strip():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                err = procs[0].stderr.read().decode() if procs[0].stderr else ""
                raise RuntimeError(f"dask scheduler did not start: {err[-2000:]}")
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--host",
             "127.0.0.1", "--nworkers", str(workers), "--nthreads", str(threads),
             "--no-dashboard", "--local-directory", str(tmp / "workers")],
            env=dict(quiet, **(env or {})), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
        cluster = Cluster(address, procs)
        client = cluster.client()
        client.wait_for_workers(workers, timeout=timeout)
        yield cluster
    finally:
        if cluster is not None:
            for c in cluster._clients:
                with contextlib.suppress(Exception):
                    c.close(timeout=5)
        for p in reversed(procs):
            _stop(p)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
