"""A one-line live progress display for `kubeprops run`: properties done / to go, the current example,
steps and elapsed time, redrawn in place on a terminal.

Quiet where nobody watches a terminal: when stderr is not a TTY, when $CI is set, or with --quiet; the
per-property result lines are printed either way. Written here (about 60 lines, standard library only)
rather than with a progress library because the counters come from the property runs themselves and
the line must disappear cleanly before each result line; a bar library would add a dependency for that.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from kubeprops.properties.conformance import Property
from kubeprops.properties.machine import RunStats

REFRESH_SECONDS = 0.5


def wanted(stream: TextIO, quiet: bool) -> bool:
    return not quiet and not os.environ.get("CI") and stream.isatty()


class Progress:
    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream = total, stream
        self.done = 0
        self.started = time.monotonic()
        self._current: tuple[str, str, RunStats] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kubeprops-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.clear()

    def begin(self, controller: str, prop: Property, stats: RunStats) -> None:
        with self._lock:
            self._current = (controller, prop.name, stats)

    def finished(self) -> None:
        """Call before printing a result line: the live line is wiped first."""
        with self._lock:
            self.done += 1
            self._current = None
        self.clear()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        head = f"[{self.done}/{self.total}] {int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}"
        if self._current is None:
            return head
        controller, name, stats = self._current
        return f"{head} {controller}/{name}: example {stats.examples}, {stats.steps} steps"

    def clear(self) -> None:
        self.stream.write("\r\x1b[2K")
        self.stream.flush()

    def _loop(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            with self._lock:
                text = self.line()
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
