"""Binary-mask operations of the repair pipeline (OpenCV, imported lazily)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artifactsdk.errors import InvalidInputError
import artifactsdk.rectify.dependencies as dependencies

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 with exclusive ends


@dataclass(frozen=True)
class Component:
    """One connected artifact region: its box and its pixels inside that box."""

    box: Box
    pixels: np.ndarray  # bool, shape (y1 - y0, x1 - x0)

    @property
    def area(self) -> int:
        return int(self.pixels.sum())


def binarize(mask: np.ndarray, threshold: float, shape: tuple[int, int]) -> np.ndarray:
    """A bool mask, or a probability mask thresholded, checked against the image's HxW."""
    mask = np.asarray(mask)
    if mask.shape != shape:
        raise InvalidInputError(
            f"the artifact mask must have the image's height and width {shape}, found {mask.shape}; "
            "resize the mask to the image (Detection.mask already is)")
    if mask.dtype == bool:
        return mask
    if not np.issubdtype(mask.dtype, np.number) or np.isnan(mask).any():
        raise InvalidInputError(f"the artifact mask must be bool or numeric without NaN, found {mask.dtype}")
    return mask > threshold


def components(mask: np.ndarray, min_pixels: int) -> list[Component]:
    """8-connected components of a bool mask with at least `min_pixels` pixels."""
    cv2 = dependencies.cv2()
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    found = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area >= min_pixels:
            found.append(Component((x, y, x + w, y + h), labels[y:y + h, x:x + w] == label))
    return found


def disk(radius: int) -> np.ndarray:
    cv2 = dependencies.cv2()
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilate_component(component: Component, radius: int, shape: tuple[int, int]) -> Component:
    """The component grown by a disk of `radius` pixels, clipped to the image."""
    cv2 = dependencies.cv2()
    x0, y0, x1, y1 = component.box
    gx0, gy0 = max(0, x0 - radius), max(0, y0 - radius)
    gx1, gy1 = min(shape[1], x1 + radius), min(shape[0], y1 + radius)
    canvas = np.zeros((gy1 - gy0, gx1 - gx0), np.uint8)
    canvas[y0 - gy0:y1 - gy0, x0 - gx0:x1 - gx0] = component.pixels
    grown = cv2.dilate(canvas, disk(radius)) > 0
    return Component((gx0, gy0, gx1, gy1), grown)


def paint(components_: list[Component], shape: tuple[int, int]) -> np.ndarray:
    """The union of components as one full-size bool mask."""
    full = np.zeros(shape, bool)
    for component in components_:
        x0, y0, x1, y1 = component.box
        full[y0:y1, x0:x1] |= component.pixels
    return full


def feather(hole: np.ndarray, radius: int) -> np.ndarray:
    """Blend weights: 1 on the hole, easing (smoothstep) to exactly 0 at `radius` pixels
    outside it, so pixels farther away are never touched."""
    if radius <= 0:
        return hole.astype(np.float32)
    cv2 = dependencies.cv2()
    distance = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 5)
    ramp = np.clip(1.0 - distance / (radius + 1.0), 0.0, 1.0)
    return (ramp * ramp * (3.0 - 2.0 * ramp)).astype(np.float32)
