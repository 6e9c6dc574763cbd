"""Run a notebook headless with papermill: the quick-mode tests and the full-mode timings."""

from __future__ import annotations

import time
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.channels import AsyncZMQSocketChannel

_ORIGINAL_GET_MSG = AsyncZMQSocketChannel.get_msg


async def _get_msg_in_slices(self, timeout: float | None = None):
    """``get_msg`` that polls in 1 s slices until ``timeout``.

    pyzmq's asyncio poll can miss the socket's readiness when a cell's widgets send comm
    messages, and then only sees the waiting ``execute_reply`` when the whole timeout has run
    out (jupyter/nbclient#312): a quick cell took the full 600 s. Each slice ends with a fresh
    look at the socket, so the reply is read within a second.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return await _ORIGINAL_GET_MSG(self, timeout=1.0 if left is None else min(1.0, left))
        except Empty:
            if left is not None and left <= 1.0:
                raise


def execute(
    path: Path, output: Path, parameters: dict[str, Any], cell_timeout_s: int = 600
) -> tuple[Any, list[dict[str, Any]]]:
    """Execute ``path`` into ``output`` with ``parameters`` injected (papermill).

    Returns ``(executed notebook, errors)``: the notebook as ``nbformat`` reads it, and the
    error outputs of its code cells (empty when every cell ran). Each cell may take at most
    ``cell_timeout_s`` seconds.
    """
    import nbformat
    import papermill

    AsyncZMQSocketChannel.get_msg = _get_msg_in_slices
    try:
        papermill.execute_notebook(
            str(path),
            str(output),
            parameters=parameters,
            cwd=str(Path(path).parent),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=cell_timeout_s,
        )
    finally:
        AsyncZMQSocketChannel.get_msg = _ORIGINAL_GET_MSG
    executed = nbformat.read(output, as_version=4)
    errors = [
        out
        for cell in executed.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    return executed, errors


def cell_durations(executed: Any) -> dict[str, float]:
    """``{cell id: seconds}`` of every executed code cell (papermill's own timing)."""
    return {
        cell.id: round(float(cell.metadata.get("papermill", {}).get("duration") or 0.0), 1)
        for cell in executed.cells
        if cell.cell_type == "code"
    }
