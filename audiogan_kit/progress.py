"""Progress bars that suit where the output goes: a live bar, or periodic lines in a log.

:func:`progress_bar` returns a tqdm bar (a widget in a notebook) when stderr is a terminal
or a notebook; otherwise (a log file, CI, ``nohup``) a :class:`LineProgress`, which writes
one plain line every ``interval_s`` seconds instead of thousands of carriage-return updates.
Both have ``update(n)``, ``set_postfix(**values)`` and ``close()``.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["LineProgress", "progress_bar"]


class LineProgress:
    """Progress as periodic lines: ``desc: 120/6000 step (2%), 3.1 step/s, d_loss=0.69``.

    Args:
        total: the count at the end (``None``: unknown).
        desc: what is counted, at the start of each line.
        unit: the unit of the count (``"step"``, ``"file"``).
        initial: the count at the start (a resumed run).
        interval_s: seconds between lines (the last line is written by :meth:`close`).
        stream: where lines go (default ``sys.stderr``).
    """

    def __init__(
        self,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        initial: int = 0,
        interval_s: float = 30.0,
        stream: TextIO | None = None,
    ) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.n = self._start_n = initial
        self.interval_s = interval_s
        self.stream = stream if stream is not None else sys.stderr
        self.postfix: dict[str, Any] = {}
        self._start = self._last = time.perf_counter()
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.n += n
        if time.perf_counter() - self._last >= self.interval_s:
            self._write()

    def set_postfix(self, **values: Any) -> None:
        self.postfix = values

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._write()

    def _write(self) -> None:
        now = time.perf_counter()
        self._last = now
        done = f"{self.n}/{self.total}" if self.total else str(self.n)
        share = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        rate = (self.n - self._start_n) / max(now - self._start, 1e-9)
        extra = "".join(f", {key}={value}" for key, value in self.postfix.items())
        prefix = f"{self.desc}: " if self.desc else ""
        line = f"{prefix}{done} {self.unit}{share}, {rate:.1f} {self.unit}/s{extra}"
        print(line, file=self.stream, flush=True)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def progress_bar(
    total: int | None = None, desc: str = "", unit: str = "it", initial: int = 0
) -> Any:
    """A tqdm bar on a terminal or in a notebook, else a :class:`LineProgress` (see above)."""
    if _in_notebook() or sys.stderr.isatty():
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc or None, unit=unit, initial=initial)
    return LineProgress(total=total, desc=desc, unit=unit, initial=initial)
