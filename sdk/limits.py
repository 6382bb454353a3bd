"""Checks of the numbers a caller hands the SDK, shared by the API and the CLI, so both
refuse the same values with the same message (InvalidInputError)."""

from __future__ import annotations

import math
import numbers
import os

from artifactsdk.errors import InvalidInputError

THREADS_PER_CORE = 4  # more threads than this per core only adds contention and memory


def max_threads() -> int:
    return THREADS_PER_CORE * (os.cpu_count() or 1)


def unit_interval(name: str, value) -> float:
    """`value` as a float in [0, 1]; bools, strings, NaN and infinities refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"{name} must be a number in [0, 1], got {type(value).__name__} {value!r}.")
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"{name} must be a finite number in [0, 1], got {value!r}.")
    return value


def positive_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an int in [minimum, maximum]; bools, floats and strings refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidInputError(f"{name} must be at least {minimum}{upper}, got {value}.")
    return int(value)


def threads(value: int | None) -> int | None:
    """None (the runtime's default) or 1..max_threads()."""
    if value is None:
        return None
    return positive_int("threads", value, 1, max_threads())
