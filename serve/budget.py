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


def _glibc():
    """The C library when it is glibc (malloc_trim and mallopt), else None: other allocators
    give memory back on their own terms."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return library if hasattr(library, "malloc_trim") and hasattr(library, "mallopt") else None


_GLIBC = _glibc()
_M_MMAP_THRESHOLD = -3  # mallopt's parameter
MMAP_THRESHOLD = 1 << 20


def map_large_blocks() -> None:
    """Have glibc allocate every block of 1 MiB and more with mmap, so that freeing a decoded
    image returns its memory at once: by default the threshold rises to 32 MiB after the
    first frees, and the decoders' blocks (Pillow allocates images in 16 MiB blocks) then
    stay in the heaps of the threads that decoded them."""
    if _GLIBC is not None:
        _GLIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def give_back_freed_memory() -> None:
    """Return the heaps' free pages to the system (what smaller blocks leave behind)."""
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)
