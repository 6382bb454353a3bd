"""Hard negatives: what real cameras and editors do to a photograph, which generators
are not blamed for. The engine applies them to the clean base before any artifact is
injected, so they are part of the clean image and never of a mask: the models must
learn that defocus, motion blur, JPEG blocks, sensor noise, flare, vignetting,
exposure and colour grading are not artifacts.

Each effect takes and returns an HxWx3 float32 image (0-255) and changes it as a
whole or smoothly across it, never in a small patch of its own.
"""

from __future__ import annotations

import io
from typing import Callable

import numpy as np
from PIL import Image
from scipy import ndimage

from artifactsdk.training.synth.colour import luma
from artifactsdk.training.synth.pixels import smooth_field


def defocus(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Depth of field: a sharp plane of focus and the rest blurred more with distance
    from it (a smooth depth ramp, as behind or in front of a subject)."""
    height, width = image.shape[:2]
    sigma = float(rng.uniform(2.0, 7.0))
    blurred = ndimage.gaussian_filter(image, (sigma, sigma, 0))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if rng.random() < 0.5:  # a subject in focus, background blurred around it
        cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
        radius = rng.uniform(0.15, 0.35) * min(height, width)
        distance = np.hypot(yy - cy, (xx - cx) * rng.uniform(0.6, 1.4)) / radius - 1
    else:  # a tilted plane: focus along one band of depth
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * xx / width + np.sin(angle) * yy / height
        distance = np.abs(ramp - rng.uniform(ramp.min(), ramp.max())) * 4 - 0.3
    weight = np.clip(distance, 0, 1)[..., None]
    return image * (1 - weight) + blurred * weight


def motion_blur(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Camera shake: the whole frame smeared along one direction."""
    length = int(rng.integers(3, 12))
    angle = rng.uniform(0, np.pi)
    kernel = np.zeros((length, length), np.float32)
    centre = (length - 1) / 2
    for t in np.linspace(-centre, centre, 4 * length):
        kernel[int(round(centre + t * np.sin(angle))), int(round(centre + t * np.cos(angle)))] = 1
    kernel /= kernel.sum()
    return np.stack([ndimage.convolve(image[..., c], kernel, mode="nearest") for c in range(3)], axis=-1)


def jpeg_blocking(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A strongly compressed JPEG: 8x8 blocks, ringing and chroma smearing."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=int(rng.integers(8, 35)))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"), np.float32)


def sensor_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """High-ISO noise: signal-dependent luminance grain plus some chroma noise."""
    level = rng.uniform(3.0, 14.0)
    shot = np.sqrt(np.maximum(image.mean(axis=2, keepdims=True), 1.0) / 255) * level
    grain = rng.standard_normal(image.shape[:2] + (1,)).astype(np.float32) * shot
    chroma = rng.standard_normal(image.shape).astype(np.float32) * level * rng.uniform(0, 0.5)
    return image + grain + chroma


def lens_flare(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A light source near the frame's edge, a veil of glare, and faint ghost discs on
    the line through the optical centre."""
    height, width = image.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    side = min(height, width)
    source = np.array([rng.uniform(-0.1, 0.35), rng.uniform(-0.1, 1.1)]) * (height, width)
    if rng.random() < 0.5:
        source[0] = height - source[0]
    tint = np.array(rng.choice(((255, 235, 200), (255, 250, 240), (220, 235, 255))), np.float32)
    light = np.exp(-((yy - source[0]) ** 2 + (xx - source[1]) ** 2) / (2 * (side * rng.uniform(0.12, 0.3)) ** 2))
    light = light * rng.uniform(0.5, 0.95) + rng.uniform(0.03, 0.12)  # the source and the veil
    centre = np.array([height / 2, width / 2])
    for t in rng.uniform(0.4, 1.8, int(rng.integers(2, 6))):
        y, x = source + (centre - source) * t
        radius = side * rng.uniform(0.02, 0.08)
        disc = np.clip(radius - np.hypot(yy - y, xx - x), 0, 2) / 2
        light = light + disc * rng.uniform(0.05, 0.2)
    light = np.clip(light, 0, 1)[..., None]
    return 255 - (255 - image) * (1 - light * tint / 255)


def vignetting(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Corners darker than the centre, as with a wide-open lens."""
    height, width = image.shape[:2]
    yy, xx = np.mgrid[-1:1:height * 1j, -1:1:width * 1j].astype(np.float32)
    falloff = 1 - rng.uniform(0.25, 0.7) * np.clip((yy ** 2 + xx ** 2) / 2, 0, 1) ** rng.uniform(0.8, 1.6)
    return image * falloff[..., None]


def exposure(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The whole frame over- or under-exposed: highlights clip or shadows crush."""
    stops = rng.choice((-1, 1)) * rng.uniform(0.5, 1.5)
    return image * float(2 ** stops)


def colour_grading(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A strong grade: split toning (shadows one hue, highlights another), a contrast
    curve and a saturation change, smooth in the tone of each pixel."""
    tone = (luma(image) / 255)[..., None]
    shadows = rng.uniform(-30, 30, 3).astype(np.float32)
    highlights = rng.uniform(-30, 30, 3).astype(np.float32)
    graded = image + shadows * (1 - tone) + highlights * tone
    contrast = rng.uniform(0.7, 1.4)
    graded = (graded - 128) * contrast + 128
    grey = graded.mean(axis=2, keepdims=True)
    return grey + (graded - grey) * rng.uniform(0.4, 1.5)


def uneven_light(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Natural light falloff: brightness varying smoothly across the whole frame."""
    field = smooth_field(rng, image.shape[:2], min(image.shape[:2]) / 4)
    return image * (1 + rng.uniform(0.1, 0.3) * field)[..., None]


CAMERA_EFFECTS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "defocus": defocus,
    "motion_blur": motion_blur,
    "jpeg_blocking": jpeg_blocking,
    "sensor_noise": sensor_noise,
    "lens_flare": lens_flare,
    "vignetting": vignetting,
    "exposure": exposure,
    "colour_grading": colour_grading,
    "uneven_light": uneven_light,
}


def apply_camera_effects(image: np.ndarray, rng: np.random.Generator, names: tuple[str, ...]) -> np.ndarray:
    """``image`` (uint8) with the named effects applied in order, as uint8."""
    pixels = image.astype(np.float32)
    for name in names:
        pixels = CAMERA_EFFECTS[name](pixels, rng)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


def pick_camera_effects(rng: np.random.Generator, probability: float) -> tuple[str, ...]:
    """With ``probability``, one or two distinct effects (JPEG last, as in a camera's
    pipeline); otherwise none."""
    if probability <= 0 or rng.random() >= probability:
        return ()
    keys = list(CAMERA_EFFECTS)
    count = 1 + int(rng.random() < 0.3)
    chosen = [keys[i] for i in rng.choice(len(keys), count, replace=False)]
    return tuple(sorted(chosen, key=lambda name: name == "jpeg_blocking"))
