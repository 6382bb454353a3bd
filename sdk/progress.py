"""The one progress display of every command: a status line on stderr, rewritten in place.

It is shown only on a terminal and never with --quiet, so logs and pipes stay clean.
``note`` prints a line that stays (a finished stage, a failed file) above the status
line instead of through it.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import time
from typing import Iterable, TextIO, TypeVar

T = TypeVar("T")

CLEAR_LINE = "\r\033[K"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    def __init__(self, label: str = "", total: int | None = None, quiet: bool = False,
                 stream: TextIO | None = None, enabled: bool | None = None):
        """``enabled`` overrides the terminal check (e.g. a --progress flag for a log file)."""
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.enabled = (not quiet and _is_terminal(self.stream)) if enabled is None else enabled
        self.start = time.perf_counter()

    def stage(self, label: str, total: int | None = None) -> "Progress":
        """A fresh counter on the same stream, shown if this one is."""
        return Progress(label, total, stream=self.stream, enabled=self.enabled)

    def update(self, done: int, detail: str = "") -> None:
        self.done = done
        if not self.enabled:
            return
        count = f"{done}/{self.total}" if self.total else str(done)
        elapsed = time.perf_counter() - self.start
        timing = f"[{elapsed:.0f}s"
        if self.total and done:
            timing += f", eta {elapsed / done * (self.total - done):.0f}s"
        parts = [self.label, count, detail, timing + "]"]
        self._write(CLEAR_LINE + " ".join(part for part in parts if part))

    def advance(self, steps: int = 1, detail: str = "") -> None:
        self.update(self.done + steps, detail)

    def note(self, text: str, always: bool = False) -> None:
        """A line that stays, the status line redrawn below it. With ``always`` (errors) it
        is written even when the status line is not shown."""
        if not self.enabled:
            if always:
                self._write(text + "\n")
            return
        self._write(f"{CLEAR_LINE}{text}\n")
        if self.done:
            self.update(self.done)

    def close(self) -> None:
        if self.enabled:
            self._write(CLEAR_LINE)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def collect(items: Iterable[T], label: str, total: int | None, quiet: bool) -> list[T]:
    """Every item of `items` (images being decoded or generated) in a list, with progress."""
    collected: list[T] = []
    with Progress(label, total, quiet) as progress:
        for item in items:
            collected.append(item)
            progress.advance()
    return collected


@contextlib.contextmanager
def spinner(label: str, enabled: bool):
    """A spinner with elapsed seconds on stderr while the block runs (builds take minutes)."""
    if not enabled:
        yield
        return
    done = threading.Event()
    started = time.perf_counter()

    def spin():
        for frame in itertools.cycle("|/-\\"):
            sys.stderr.write(f"\r{frame} {label} {time.perf_counter() - started:5.0f}s")
            sys.stderr.flush()
            if done.wait(0.2):
                break

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        sys.stderr.write(f"\r{label}: {time.perf_counter() - started:.0f}s\n")
