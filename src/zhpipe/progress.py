"""Progress of long work, wherever its output goes.

On a terminal: a tqdm bar. Under Snakemake, DVC, CI or with output to a file (no terminal):
one log line every ``interval_s`` seconds (``$ZHPIPE_PROGRESS_S``, default 30) with what is
done of the total, the rate and the time left, e.g.::

    [train_seg] INFO seg epoch 2/12: 1,530/3,102 batches (49%), 21.4 batches/s, 1m13s left
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("zhpipe.progress")
DEFAULT_INTERVAL_S = 30.0


def interval() -> float:
    try:
        return max(0.0, float(os.environ.get("ZHPIPE_PROGRESS_S", DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def _amount(n: float, unit: str) -> str:
    if unit == "B":
        for size, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if n >= size:
                return f"{n / size:.1f} {name}"
        return f"{int(n)} B"
    return f"{n:,.0f}"


class Progress:
    """``update(n)`` as work is done; ``close()`` at the end (a context manager too)."""

    def __init__(self, total: float | None, desc: str, unit: str = "it",
                 interval_s: float | None = None, tty: bool | None = None, initial: float = 0):
        self.total, self.desc, self.unit = total, desc, unit
        self.every = interval() if interval_s is None else interval_s
        self.done = self.start_done = initial
        self.t0 = self.last = time.monotonic()
        tty = sys.stderr.isatty() if tty is None else tty
        self.bar = None
        if tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, leave=False,
                            unit_scale=unit == "B", unit_divisor=1024 if unit == "B" else 1000)

    def update(self, n: float = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if self.every and now - self.last >= self.every:
            self.last = now
            log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = max(now - self.t0, 1e-9)
        rate = (self.done - self.start_done) / elapsed
        if self.unit == "B":
            text = f"{self.desc}: {_amount(self.done, 'B')}"
            if self.total:
                text += f" of {_amount(self.total, 'B')} ({100 * self.done / self.total:.0f}%)"
            text += f", {_amount(rate, 'B')}/s"
        else:
            units = f"{self.unit}es" if self.unit.endswith(("ch", "s")) else f"{self.unit}s"
            text = f"{self.desc}: {self.done:,.0f}"
            if self.total:
                text += f"/{self.total:,.0f} {units} ({100 * self.done / self.total:.0f}%)"
            else:
                text += f" {units}"
            text += f", {rate:,.1f} {units}/s"
        if self.total and rate > 0:
            text += f", {_duration((self.total - self.done) / rate)} left"
        else:
            text += f", {_duration(elapsed)} so far"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(items: Iterable[T], desc: str, unit: str = "it", total: int | None = None,
             interval_s: float | None = None) -> Iterator[T]:
    """``items`` with progress reported (see the module docstring)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(total, desc, unit, interval_s) as bar:
        for item in items:
            yield item
            bar.update(1)
