"""The server's memory budget: decoded pixels that the work of all requests may hold at
once (a weighted semaphore over work, not over connections).

A request says what it needs from its images' headers before anything is decoded (at most
`max_pixels`: its images are decoded in groups no larger, see `pixel_groups`, and the budget
is at least that); a need that does not fit in what is free within `wait_seconds` gets 503
with Retry-After. When the last work ends, the C allocator is asked
to give freed memory back to the system, so the process returns to its baseline.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import math
from contextlib import asynccontextmanager

from fastapi import HTTPException


class PixelBudget:
    def __init__(self, capacity: int, wait_seconds: float):
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self.held = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def hold(self, pixels: int):
        """Hold `pixels` of the budget for the work inside the block (on the event loop)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self.held + pixels <= self.capacity),
                                       self.wait_seconds)
            except asyncio.TimeoutError:
                raise HTTPException(503, f"the server is busy: its budget of {self.capacity:,} decoded pixels is "
                                         "taken by other requests; retry later",
                                    headers={"Retry-After": str(max(1, math.ceil(self.wait_seconds)))}) from None
            self.held += pixels
        try:
            yield
        finally:
            async with self._changed:
                self.held -= pixels
                self._changed.notify_all()
                idle = self.held == 0
            if idle:
                await asyncio.to_thread(give_back_freed_memory)


def pixel_groups(sizes: list[int], most_images: int, most_pixels: int) -> list[range]:
    """Consecutive images in groups of at most `most_images` images and `most_pixels` pixels
    (an image over `most_pixels` alone): what one model run decodes at once."""
    groups, start, total = [], 0, 0
    for index, pixels in enumerate(sizes):
        if index > start and (index - start == most_images or total + pixels > most_pixels):
            groups.append(range(start, index))
            start, total = index, 0
        total += pixels
    if start < len(sizes):
        groups.append(range(start, len(sizes)))
    return groups


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere (other allocators give memory back on their own terms)."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return getattr(library, "malloc_trim", None)


_TRIM = _malloc_trim()


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system: glibc keeps freed blocks of the decoders'
    arenas (tens of MB per image) mapped otherwise, and the server would stay at its peak."""
    if _TRIM is not None:
        _TRIM(0)
