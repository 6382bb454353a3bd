"""Captions in SynArtifact's style: what is wrong and where ("The texture in the upper
left is smeared.")."""

from __future__ import annotations

import numpy as np

_WHERE = (("in the upper left", "at the top", "in the upper right"),
          ("on the left", "in the middle", "on the right"),
          ("in the lower left", "at the bottom", "in the lower right"))

# (class index, variant) -> templates; "{where}" is replaced by the location phrase.
TEMPLATES: dict[tuple[int, str], tuple[str, ...]] = {
    (0, "scrambled"): ("The letters {where} are scrambled and illegible.",
                       "The text {where} is garbled."),
    (0, "melted"): ("The text {where} is melted and unreadable.",
                    "The letters {where} are dripping and deformed."),
    (0, "broken"): ("The letters {where} are half-formed and illegible.",
                    "The glyphs {where} are broken and unreadable."),
    (0, "mixed"): ("The letters {where} are made of mismatched halves.",
                   "The text {where} is illegible."),
    (2, "swirl"): ("The structure {where} is swirled and distorted.",
                   "The part {where} is twisted out of shape."),
    (2, "elastic"): ("The shape {where} is warped and deformed.",
                     "The edges {where} are bent and distorted."),
    (2, "bulge"): ("The part {where} is bulged and deformed.",
                   "The object {where} is distorted."),
    (2, "melted"): ("The part {where} is melted and smeared.",
                    "The object {where} dissolves into a smear."),
    (2, "misaligned"): ("The straight lines {where} are broken and offset.",
                        "The edges {where} do not line up."),
    (3, "copy"): ("A part {where} is duplicated.", "There is an extra copy of the object {where}."),
    (3, "mirrored copy"): ("A mirrored copy of a part appears {where}.",
                           "The object {where} is duplicated."),
    (3, "overlapping copy"): ("A part {where} is doubled.",
                              "There is an extra, overlapping copy of a part {where}."),
    (3, "mirrored overlapping copy"): ("A mirrored double of a part appears {where}.",
                                       "The part {where} is doubled."),
    (4, "erased"): ("A part of the object {where} is missing.",
                    "The structure {where} is erased and smoothed over."),
    (6, "shading"): ("The shading {where} is inconsistent with the light of the scene.",
                     "The lighting {where} is unrealistic."),
    (6, "shadow"): ("The shadow {where} falls the wrong way.",
                    "There is an unexplained shadow {where}."),
    (7, "gaussian"): ("The texture {where} is blurred.",
                      "The region {where} is out of focus while the rest is sharp."),
    (7, "motion"): ("The details {where} are smeared.", "The texture {where} is streaked and blurry."),
    (7, "smeared"): ("The texture {where} is smeared.", "The details {where} are soft and blurry."),
    (8, "hue shift"): ("The colour {where} is shifted unnaturally.",
                       "The region {where} has the wrong colour."),
    (8, "colour cast"): ("There is an unnatural colour cast {where}.",
                         "The colour {where} is tinted strangely."),
    (8, "bleeding"): ("The colours {where} bleed across the edges.",
                      "The colour {where} is smeared past the outlines."),
    (8, "banding"): ("The colours {where} show banding.", "The gradient {where} is posterized."),
    (8, "saturation"): ("The colour saturation {where} is irregular.",
                        "The colours {where} are unnaturally saturated or washed out."),
    (9, "noise"): ("The texture {where} is grainy and noisy.", "There is abnormal noise {where}."),
    (9, "checkerboard"): ("A checkerboard pattern appears {where}.",
                          "The texture {where} has a checkerboard artifact."),
    (9, "upsampling grid"): ("The texture {where} shows an upsampling grid.",
                             "The region {where} is pixelated with grid lines."),
    (9, "blocks"): ("The texture {where} is blocky.", "Block artifacts appear {where}."),
    (9, "tiles"): ("The texture {where} repeats in unnatural tiles.",
                   "The pattern {where} is an abnormal repeated tile."),
    (9, "droplet"): ("A droplet-like blob appears {where}.",
                     "The texture {where} has a glossy blob artifact."),
    (9, "hallucinated detail"): ("The texture {where} has detail that does not belong there.",
                                 "Incoherent fine texture appears {where}."),
    (9, "worm texture"): ("A worm-like stripe texture appears {where}.",
                          "The texture {where} is covered in incoherent stripes."),
    (11, "brighter"): ("The region {where} is brighter than its surroundings.",
                       "The luminance {where} does not match the rest of the image."),
    (11, "darker"): ("The region {where} is darker than its surroundings.",
                     "The luminance {where} does not match the rest of the image."),
    (12, "glow"): ("There is an impossible glow {where}.", "The light {where} glows unnaturally."),
    (12, "overexposed"): ("The region {where} is impractically overexposed.",
                          "The brightness {where} is impossible."),
}


def where(box: tuple[int, int, int, int], height: int, width: int) -> str:
    """Location phrase of a box's centre on a 3x3 grid of the image."""
    x0, y0, x1, y1 = box
    row = min(2, int(3 * (y0 + y1) / 2 / height))
    col = min(2, int(3 * (x0 + x1) / 2 / width))
    return _WHERE[row][col]


def caption(class_index: int, variant: str, box: tuple[int, int, int, int], height: int,
            width: int, rng: np.random.Generator) -> str:
    templates = TEMPLATES[(class_index, variant)]
    return templates[int(rng.integers(len(templates)))].format(where=where(box, height, width))
