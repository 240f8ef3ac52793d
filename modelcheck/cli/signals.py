"""SIGINT and SIGTERM during a check: stop the scan, keep what finished, exit 130/143."""

from __future__ import annotations

import os


class Signals:
    """SIGINT and SIGTERM while a check runs: the first stops the scan (raises
    :class:`~modelcheck.results.Interrupted` in the main thread, where the scan stops its
    workers and keeps what finished); during the writing of reports it is held until they are
    written; a second one quits at once."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self.writing = False
        self._old: dict[int, object] = {}

    # the C module: `signal` itself builds three enums at import (~1% of a cold check)
    def __enter__(self) -> Signals:
        import _signal

        for sig in (_signal.SIGINT, _signal.SIGTERM):
            try:
                self._old[sig] = _signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: the scan runs without handlers
                break
        return self

    def __exit__(self, *exc: object) -> None:
        import _signal

        for sig, old in self._old.items():
            _signal.signal(sig, old)

    def _handle(self, signum: int, frame: object) -> None:
        import _signal

        name = "SIGTERM" if signum == _signal.SIGTERM else "SIGINT"
        if self.signal is not None:
            os.write(2, f"\nmodelcheck: {name} again: quitting now\n".encode())
            os._exit(128 + signum)
        self.signal = name
        if not self.writing:
            from modelcheck.results import Interrupted

            raise Interrupted(name)


def interrupt_code(name: str | None) -> int:
    return 143 if name == "SIGTERM" else 130


# -- check -----------------------------------------------------------------------------------
