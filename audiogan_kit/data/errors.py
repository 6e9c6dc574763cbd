"""The one exception of the data package: :class:`DataError`, raised for every bad input."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """Bad input data: the message names the file or folder and says how to fix it."""
