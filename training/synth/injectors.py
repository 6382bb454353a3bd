"""One injector per artifact class.

Each takes the current image (HxWx3 float32, 0-255), a region, the sample's random
generator and a strength in [0, 1] (subtle .. obvious), and returns the new image,
the region the effect really covers and the variant's name (used in the caption).
Injectors only change pixels; the engine decides afterwards which pixels changed
and labels exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from artifactsdk.training.synth.pixels import (block_means, enlarge, resample, rescale, shrink,
                                               smooth_field)
from artifactsdk.training.synth.colour import from_yiq, luma, rotate_hue, to_yiq
from artifactsdk.training.synth.shapes import Region, feather_mask
from artifactsdk.training.synth.text import composite_ink


@dataclass(frozen=True)
class Injection:
    image: np.ndarray  # HxWx3 float32
    region: Region     # where the effect was applied (a duplicate's destination, a glow's halo)
    variant: str


def _windowed(image: np.ndarray, region: Region, margin: int,
              effect: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``effect`` to the region's window (grown by ``margin``) and blend it in
    through the region's alpha; pixels outside the window are untouched."""
    ys, xs = region.window(margin)
    out = image.copy()
    alpha = region.alpha[ys, xs, None]
    out[ys, xs] = image[ys, xs] * (1 - alpha) + effect(image[ys, xs]) * alpha
    return out


def _radius(region: Region) -> float:
    return float(np.sqrt(max(region.alpha.sum(), 1.0) / np.pi))


def _warp(image: np.ndarray, region: Region, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Displace the pixels of the region's window by (dy, dx), already weighted by alpha."""
    ys, xs = region.window()
    out = image.copy()
    out[ys, xs] = resample(image[ys, xs], dy, dx)
    return out


def _soft(region: Region, sigma: float) -> Region:
    """The region with a wide, smooth falloff: warps need displacement that fades out."""
    return Region(np.clip(feather_mask(region.alpha, sigma) * 1.6, 0, 1), region.kind)


# --- 0: illegible letters -------------------------------------------------------------

def inject_illegible_letters(image, region, rng, strength) -> Injection:
    """Corrupt the glyphs under ``region`` (a GlyphRegion over a run of a text line):
    scramble slices, melt, break strokes or mix glyph halves. Only the glyphs' coverage
    is changed and repainted over what lies under them, so the sign stays intact."""
    line = region.line
    ys, xs = region.window()
    ink = line.ink[ys, xs]
    height = line.box[3] - line.box[1]
    variant = str(rng.choice(("scrambled", "melted", "broken", "mixed")))
    if variant == "scrambled":
        ink = _scramble_columns(ink, rng, max(2, int(height * rng.uniform(0.15, 0.35))))
    elif variant == "melted":
        droop = np.abs(smooth_field(rng, ink.shape, max(1.5, height / 6)))
        ramp = np.linspace(0, 1, ink.shape[0], dtype=np.float32)[:, None]
        dy = -droop * ramp * height * (0.2 + 0.35 * strength)
        dx = smooth_field(rng, ink.shape, max(1.5, height / 5)) * height * 0.15 * strength
        ink = resample(ink, dy, dx)
    elif variant == "broken":
        ink = _break_strokes(ink, rng, strength, height)
    else:
        cut = int(ink.shape[0] * rng.uniform(0.35, 0.65))
        shift = max(2, int(height * rng.uniform(0.25, 0.6)))
        ink = ink.copy()
        ink[:cut] = np.roll(ink[:cut], shift if rng.random() < 0.5 else -shift, axis=1)
    patch = composite_ink(line.backdrop[ys, xs].astype(np.float32), ink, line.colour)
    out = image.copy()
    alpha = region.alpha[ys, xs, None]
    out[ys, xs] = image[ys, xs] * (1 - alpha) + patch * alpha
    return Injection(out, region, variant)


def _scramble_columns(ink: np.ndarray, rng: np.random.Generator, width: int) -> np.ndarray:
    slices = [ink[:, x:x + width] for x in range(0, ink.shape[1], width)]
    order = np.arange(len(slices))
    for i in range(0, len(order) - 1, 2):
        if rng.random() < 0.7:
            order[i], order[i + 1] = order[i + 1], order[i]
    shifted = [np.roll(slices[i], int(rng.integers(-width // 2, width // 2 + 1)), axis=0)
               for i in order]
    return np.concatenate(shifted, axis=1)[:, :ink.shape[1]]


def _break_strokes(ink: np.ndarray, rng: np.random.Generator, strength: float,
                   height: int) -> np.ndarray:
    """Erase blobs of the strokes and add a few stray ones: half-formed glyphs."""
    sigma = max(1.0, height / 8)
    holes = smooth_field(rng, ink.shape, sigma) > (0.35 - 0.4 * strength)
    broken = np.where(holes, 0.0, ink).astype(np.float32)
    stray = Image.new("L", (ink.shape[1], ink.shape[0]), 0)
    draw = ImageDraw.Draw(stray)
    for _ in range(int(rng.integers(1, 4))):
        x0, x1 = rng.uniform(0, ink.shape[1], 2)
        y0, y1 = rng.uniform(0, ink.shape[0], 2)
        draw.line([(x0, y0), (x1, y1)], fill=255, width=max(1, height // 9))
    return np.maximum(broken, np.asarray(stray, np.float32) / 255)


# --- 2: distorted and deformed components ---------------------------------------------

def inject_distortion(image, region, rng, strength) -> Injection:
    radius = _radius(region)
    soft = _soft(region, max(1.5, radius / 3))
    ys, xs = soft.window()
    weight = soft.alpha[ys, xs]
    yy, xx = np.mgrid[ys, xs].astype(np.float32)
    cy, cx = ndimage.center_of_mass(weight)
    oy, ox = yy - (cy + ys.start), xx - (cx + xs.start)
    variant = str(rng.choice(("swirl", "elastic", "bulge", "melted", "misaligned")))
    if variant == "melted":
        return Injection(_melt(image, soft, weight, radius, rng, strength), soft, variant)
    if variant == "misaligned":
        dy, dx = _misalignment(weight, oy, ox, rng, strength)
        return Injection(_warp(image, soft, dy, dx), soft, variant)
    if variant == "swirl":
        angle = weight * rng.choice((-1, 1)) * (0.6 + 2.0 * strength)
        c, s = np.cos(angle), np.sin(angle)
        dy, dx = (s * ox + c * oy) - oy, (c * ox - s * oy) - ox
    elif variant == "elastic":
        amplitude = radius * (0.12 + 0.3 * strength)
        sigma = max(2.0, radius / 3)
        dy = smooth_field(rng, weight.shape, sigma) * amplitude * weight
        dx = smooth_field(rng, weight.shape, sigma) * amplitude * weight
    else:
        scale = rng.choice((-1, 1)) * (0.25 + 0.45 * strength) * weight
        dy, dx = -oy * scale, -ox * scale
    return Injection(_warp(image, soft, dy, dx), soft, variant)


def _melt(image: np.ndarray, soft: Region, weight: np.ndarray, radius: float,
          rng: np.random.Generator, strength: float) -> np.ndarray:
    """A generator's melted part: a strong low-frequency warp that sags one way, then a
    smear along the sag, so edges dissolve and texture stops being continuous."""
    sigma = max(3.0, radius / 2)
    amplitude = radius * (0.3 + 0.5 * strength)
    angle = rng.uniform(0, 2 * np.pi)
    sag = np.abs(smooth_field(rng, weight.shape, sigma)) * amplitude * weight
    dy = -np.sin(angle) * sag + smooth_field(rng, weight.shape, sigma) * amplitude * 0.4 * weight
    dx = -np.cos(angle) * sag + smooth_field(rng, weight.shape, sigma) * amplitude * 0.4 * weight
    warped = _warp(image, soft, dy, dx)
    ys, xs = soft.window()
    length = int(3 + radius * (0.15 + 0.25 * strength))
    axis = 0 if abs(np.sin(angle)) > abs(np.cos(angle)) else 1
    smeared = ndimage.uniform_filter1d(warped[ys, xs], length, axis=axis)
    out = warped.copy()
    out[ys, xs] = warped[ys, xs] * (1 - weight[..., None]) + smeared * weight[..., None]
    return out


def _misalignment(weight: np.ndarray, oy: np.ndarray, ox: np.ndarray, rng: np.random.Generator,
                  strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Broken straight lines: one side of a cut through the region slides along the cut,
    so every edge that crosses it steps sideways."""
    angle = rng.uniform(0, np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])  # (y, x) across the cut
    side = (oy * normal[0] + ox * normal[1]) > 0
    shift = rng.choice((-1, 1)) * (2 + 10 * strength)
    along = side * weight * shift
    return along * -normal[1], along * normal[0]


# --- 3: duplicated components ---------------------------------------------------------

def inject_duplicate(image, region, rng, strength) -> Injection:
    """Paste a copy of the region next to itself (optionally mirrored), seam blended."""
    height, width = region.alpha.shape
    extent = 2.0 * _radius(region)
    ys, xs = region.window()
    if ys.start == 0 or xs.start == 0 or ys.stop == height or xs.stop == width:
        # A shape cut by the image border would paste a straight cut mid-image.
        return Injection(image, region, "copy")
    overlapping = rng.random() < 0.4  # a doubled part that overlaps its original (extra finger, eye)
    for angle in rng.uniform(0, 2 * np.pi, 8):
        distance = extent * (rng.uniform(0.3, 0.6) if overlapping else rng.uniform(0.6, 1.2))
        dy, dx = int(round(np.sin(angle) * distance)), int(round(np.cos(angle) * distance))
        if 0 <= ys.start + dy and ys.stop + dy <= height and 0 <= xs.start + dx and xs.stop + dx <= width:
            break
    else:
        return Injection(image, region, "copy")
    mirrored = rng.random() < 0.3
    copy = image[ys, xs][:, ::-1] if mirrored else image[ys, xs]
    gain = 1 + rng.uniform(-0.08, 0.08) * (1 - strength)  # subtle copies are re-lit slightly
    target = region.shifted(dy, dx)
    dest_y, dest_x = slice(ys.start + dy, ys.stop + dy), slice(xs.start + dx, xs.stop + dx)
    out = image.copy()
    alpha = target.alpha[dest_y, dest_x, None]
    out[dest_y, dest_x] = image[dest_y, dest_x] * (1 - alpha) + copy * gain * alpha
    variant = ("mirrored " if mirrored else "") + ("overlapping copy" if overlapping else "copy")
    return Injection(out, target, variant)


# --- 4: omitted components ------------------------------------------------------------

def inject_omission(image, region, rng, strength) -> Injection:
    """Remove the structure inside the region with a smooth fill from its surroundings."""
    radius = _radius(region)
    sigma = max(2.0, radius * 0.4)
    hole = ndimage.binary_dilation(region.support, iterations=1)

    def fill(window: np.ndarray) -> np.ndarray:
        ys, xs = region.window(int(3 * sigma))
        known = (~hole[ys, xs]).astype(np.float32)
        filled = _normalized_blur(window, known, sigma)
        # A little grain, as much as the surroundings have, so the fill is not plastic.
        ring = ndimage.binary_dilation(hole[ys, xs], iterations=4) & (known > 0)
        detail = np.abs(window - ndimage.gaussian_filter(window, (1.5, 1.5, 0))).max(axis=2)
        grain_sigma = 1.4826 * float(np.median(detail[ring])) if ring.any() else 0.0
        grain = rng.normal(0, 1, window.shape[:2]).astype(np.float32)[..., None]
        return filled + grain * grain_sigma * 0.6

    return Injection(_windowed(image, region, int(3 * sigma), fill), region, "erased")


def _normalized_blur(window: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """Fill unknown pixels from known neighbours, widening the blur where they are far.
    Runs at reduced resolution (the fill is smooth anyway), then is scaled back up."""
    factor = max(1, int(sigma / 3))
    small, small_known = shrink(window, factor), shrink(known, factor)
    sigma /= factor
    result = np.zeros_like(small)
    todo = np.ones(small_known.shape, bool)
    for scale in (1, 2, 4, 8):
        weight = ndimage.gaussian_filter(small_known, sigma * scale)
        values = ndimage.gaussian_filter(small * small_known[..., None], (sigma * scale,) * 2 + (0,))
        ready = todo & (weight > 0.05)
        result[ready] = values[ready] / weight[ready, None]
        todo &= ~ready
    known_pixels = window[known > 0]
    result[todo] = known_pixels.mean(axis=0) if known_pixels.size else window.mean(axis=(0, 1))
    return enlarge(result, factor, window.shape[:2]) if factor > 1 else result


# --- 6: unrealistic lighting ----------------------------------------------------------

def inject_lighting(image, region, rng, strength) -> Injection:
    radius = _radius(region)
    soft = _soft(region, max(2.0, radius / 3))
    variant = str(rng.choice(("shading", "shadow")))
    if variant == "shading":
        angle = rng.uniform(0, 2 * np.pi)
        depth = 0.25 + 0.45 * strength

        def shade(window: np.ndarray) -> np.ndarray:
            yy, xx = np.mgrid[0:window.shape[0], 0:window.shape[1]].astype(np.float32)
            t = np.cos(angle) * xx + np.sin(angle) * yy
            t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6) * 2 - 1
            return window * (1 + depth * t)[..., None]
        effect = shade
    else:
        darkness = 0.3 + 0.35 * strength
        tint = np.array([0.9, 0.95, 1.08], np.float32)
        def effect(window: np.ndarray) -> np.ndarray:
            return window * (1 - darkness) * tint
    return Injection(_windowed(image, soft, 0, effect), soft, variant)


# --- 7: localized blur ----------------------------------------------------------------

def inject_blur(image, region, rng, strength) -> Injection:
    variant = str(rng.choice(("gaussian", "motion", "smeared")))
    sigma = 1.2 + 5.0 * strength
    if variant == "gaussian":
        def effect(window: np.ndarray) -> np.ndarray:
            return ndimage.gaussian_filter(window, (sigma, sigma, 0))
    elif variant == "motion":
        axis = int(rng.integers(0, 2))
        def effect(window: np.ndarray) -> np.ndarray:
            return ndimage.uniform_filter1d(window, int(3 + 4 * sigma), axis=axis)
    else:
        factor = 2 + 4 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            return rescale(window, 1 / factor, Image.BILINEAR)
    return Injection(_windowed(image, region, int(3 * sigma) + 4, effect), region, variant)


# --- 8: chromatic irregularity --------------------------------------------------------

def inject_chromatic(image, region, rng, strength) -> Injection:
    variant = str(rng.choice(("hue shift", "colour cast", "bleeding", "banding", "saturation")))
    margin = 0
    if variant == "hue shift":
        degrees = rng.choice((-1, 1)) * (30 + 120 * strength)
        def effect(window: np.ndarray) -> np.ndarray:
            return rotate_hue(window, degrees)
    elif variant == "colour cast":
        direction = rng.uniform(0, 2 * np.pi)
        amount = 12 + 40 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            yiq = to_yiq(window)
            yiq[..., 1] += amount * np.cos(direction)
            yiq[..., 2] += amount * np.sin(direction)
            return from_yiq(yiq)
    elif variant == "bleeding":
        shift = int(2 + 8 * strength)
        margin = shift + 8
        offset = (int(rng.integers(-shift, shift + 1)), shift)
        def effect(window: np.ndarray) -> np.ndarray:
            yiq = to_yiq(window)
            chroma = ndimage.shift(yiq[..., 1:], offset + (0,), order=1, mode="nearest")
            yiq[..., 1:] = ndimage.gaussian_filter(chroma, (2, 2, 0)) * (1.2 + strength)
            return from_yiq(yiq)
    elif variant == "banding":
        levels = int(round(10 - 7 * strength))
        def effect(window: np.ndarray) -> np.ndarray:
            step = 256.0 / levels
            return np.floor(window / step) * step + step / 2
    else:
        factor = 2.0 + 1.5 * strength if rng.random() < 0.6 else 0.3 * (1 - strength)
        def effect(window: np.ndarray) -> np.ndarray:
            grey = luma(window)[..., None]
            return grey + (window - grey) * factor
    return Injection(_windowed(image, region, margin, effect), region, variant)


# --- 9: abnormal texture --------------------------------------------------------------

def inject_texture(image, region, rng, strength) -> Injection:
    variant = str(rng.choice(("noise", "checkerboard", "upsampling grid", "blocks", "tiles", "droplet",
                              "hallucinated detail", "worm texture")))
    if variant == "hallucinated detail":  # fine detail that belongs to another place
        gain = 1.5 + 2.5 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            source = window[::-1, ::-1]
            return window + (source - ndimage.gaussian_filter(source, (1.5, 1.5, 0))) * gain
    elif variant == "worm texture":  # incoherent high-frequency stripes, fingerprint-like
        amplitude = 10 + 30 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            shape = window.shape[:2]
            yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
            turn = smooth_field(rng, shape, max(2.0, min(shape) / 6)) * np.pi
            frequency = rng.uniform(0.15, 0.4)
            phase = 2 * np.pi * frequency * (np.cos(turn) * xx + np.sin(turn) * yy)
            return window + amplitude * np.sin(phase)[..., None]
    elif variant == "noise":
        sigma = 10 + 30 * strength
        mono = rng.random() < 0.5
        def effect(window: np.ndarray) -> np.ndarray:
            shape = window.shape[:2] + ((1,) if mono else (3,))
            return window + rng.normal(0, sigma, shape).astype(np.float32)
    elif variant == "checkerboard":
        period = int(rng.integers(1, 4))
        amplitude = 8 + 22 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            yy, xx = np.mgrid[0:window.shape[0], 0:window.shape[1]]
            sign = (((yy // period) + (xx // period)) % 2) * 2 - 1
            return window + amplitude * sign[..., None]
    elif variant == "upsampling grid":
        factor = int(rng.integers(3, 7))
        darkness = 0.08 + 0.2 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            blocky = rescale(window, 1 / factor, Image.NEAREST)
            yy, xx = np.mgrid[0:window.shape[0], 0:window.shape[1]]
            lines = ((yy % factor == 0) | (xx % factor == 0))[..., None]
            return blocky * np.where(lines, 1 - darkness, 1.0)
    elif variant == "blocks":
        block = int(rng.choice((4, 8, 16)))
        keep = 0.5 * (1 - strength)
        def effect(window: np.ndarray) -> np.ndarray:
            return block_means(window, block) * (1 - keep) + window * keep
    elif variant == "droplet":  # a smooth, glossy colour blob (GAN "droplet" artifact)
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        opacity = 0.35 + 0.5 * strength
        def effect(window: np.ndarray) -> np.ndarray:
            yy, xx = np.mgrid[-1:1:window.shape[0] * 1j, -1:1:window.shape[1] * 1j].astype(np.float32)
            dome = np.clip(1 - (yy ** 2 + xx ** 2), 0, 1)[..., None] * opacity
            shine = np.exp(-((yy + 0.35) ** 2 + (xx + 0.35) ** 2) / 0.05)[..., None] * 90 * strength
            return window * (1 - dome) + colour * dome + shine
    else:
        tile = int(rng.integers(6, 24))
        def effect(window: np.ndarray) -> np.ndarray:
            y0 = int(rng.integers(0, max(1, window.shape[0] - tile)))
            x0 = int(rng.integers(0, max(1, window.shape[1] - tile)))
            piece = window[y0:y0 + tile, x0:x0 + tile]
            reps = (window.shape[0] // piece.shape[0] + 1, window.shape[1] // piece.shape[1] + 1, 1)
            return np.tile(piece, reps)[:window.shape[0], :window.shape[1]]
    return Injection(_windowed(image, region, 0, effect), region, variant)


# --- 11: luminance discrepancy --------------------------------------------------------

def inject_luminance(image, region, rng, strength) -> Injection:
    brighter = rng.random() < 0.5
    gain = 1 + (0.2 + 0.6 * strength) if brighter else 1 - (0.15 + 0.45 * strength)
    lift = 10 * strength if brighter else 0.0
    def effect(window: np.ndarray) -> np.ndarray:
        return window * gain + lift
    return Injection(_windowed(image, region, 0, effect), region,
                     "brighter" if brighter else "darker")


# --- 12: impractical luminosity -------------------------------------------------------

def inject_glow(image, region, rng, strength) -> Injection:
    variant = str(rng.choice(("glow", "overexposed")))
    if variant == "overexposed":
        exposure = 1.8 + 2.5 * strength
        soft = _soft(region, max(1.5, _radius(region) / 4))
        def effect(window: np.ndarray) -> np.ndarray:
            return window * exposure + 20
        return Injection(_windowed(image, soft, 0, effect), soft, variant)
    radius = _radius(region)
    ys, xs = region.window()
    cy, cx = ndimage.center_of_mass(region.alpha[ys, xs])
    yy, xx = np.mgrid[0:region.alpha.shape[0], 0:region.alpha.shape[1]].astype(np.float32)
    falloff = np.exp(-((yy - cy - ys.start) ** 2 + (xx - cx - xs.start) ** 2) / (2 * (0.6 * radius) ** 2))
    halo = Region(np.where(falloff > 0.01, falloff, 0).astype(np.float32), "glow")
    tint = np.array(rng.choice(((255, 240, 200), (255, 255, 255), (200, 225, 255), (255, 210, 160))),
                    np.float32)
    peak = 0.6 + 0.4 * strength
    def screen(window: np.ndarray) -> np.ndarray:
        light = tint * peak
        return 255 - (255 - window) * (255 - light) / 255
    return Injection(_windowed(image, halo, 0, screen), halo, variant)


@dataclass(frozen=True)
class InjectorSpec:
    function: Callable[..., Injection]
    placement: str  # "text": on a stamped text line; "structure": near edges; "anywhere"
    area: tuple[float, float]  # fraction of the image, drawn log-uniformly
    feather: tuple[float, float] | None = None  # seam softness range in pixels; None = random


INJECTORS: dict[int, InjectorSpec] = {
    0: InjectorSpec(inject_illegible_letters, "text", (0.005, 0.05), (0.0, 0.0)),
    2: InjectorSpec(inject_distortion, "structure", (0.005, 0.08)),
    3: InjectorSpec(inject_duplicate, "structure", (0.005, 0.06), (0.5, 2.5)),
    4: InjectorSpec(inject_omission, "structure", (0.005, 0.08), (0.8, 3.0)),
    6: InjectorSpec(inject_lighting, "anywhere", (0.02, 0.1)),
    7: InjectorSpec(inject_blur, "structure", (0.01, 0.25)),
    8: InjectorSpec(inject_chromatic, "anywhere", (0.01, 0.2)),
    9: InjectorSpec(inject_texture, "anywhere", (0.005, 0.15)),
    11: InjectorSpec(inject_luminance, "anywhere", (0.01, 0.25), (0.0, 2.0)),
    12: InjectorSpec(inject_glow, "anywhere", (0.005, 0.08)),
}
INJECTABLE_CLASSES: tuple[int, ...] = tuple(sorted(INJECTORS))
