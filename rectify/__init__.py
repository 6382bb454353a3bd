"""Repairing found artifacts: zoom-in inpainting (PAL) on a torch path, driven by a Detector.

    from artifactsdk import Detector
    from artifactsdk.rectify import fix_image
    result = fix_image(Detector.load(), "photo.jpg")     # result.image, result.record

Importing this package imports neither torch nor OpenCV; they are loaded when a repair
runs, and a missing one raises MissingDependencyError naming the `fix` extra.
"""

from artifactsdk.rectify.fix import FixResult, fix_image

__all__ = ["FixResult", "fix_image"]
