"""Context windows around artifact regions: sized from the region, clamped, merged."""

from __future__ import annotations

from artifactsdk.rectify.masks import Box


def context_window(box: Box, shape: tuple[int, int], context: float, min_side: int) -> Box:
    """A square of `context` times the box's longer side (at least `min_side`) centred on
    the box, shifted to lie inside the image and cut to the image where it is larger."""
    x0, y0, x1, y1 = box
    side = max(min_side, round(context * max(x1 - x0, y1 - y0)))
    return _square(box, side, shape)


def _span(start: int, end: int, side: int, limit: int) -> tuple[int, int]:
    side = min(side, limit)
    low = (start + end - side) // 2
    low = min(max(0, low), limit - side)
    return low, low + side


def _square(box: Box, side: int, shape: tuple[int, int]) -> Box:
    x0, x1 = _span(box[0], box[2], side, shape[1])
    y0, y1 = _span(box[1], box[3], side, shape[0])
    return x0, y0, x1, y1


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def merge(windows: list[Box]) -> list[Box]:
    """Replace overlapping windows by their bounding box until none overlap."""
    merged = list(windows)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if overlap(merged[i], merged[j]):
                    merged[i] = union(merged[i], merged.pop(j))
                    changed = True
                    break
            if changed:
                break
    return sorted(merged, key=lambda w: (w[1], w[0]))
