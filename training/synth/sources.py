"""Clean images: real photographs from folders the user gives (``--photos``), the photos
bundled with scikit-image and scikit-learn (offline) and procedural scenes, with random
crops, scales, flips and colour jitter."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from artifactsdk.errors import MissingDependencyError
from artifactsdk.training.datasets import read_rgb
from artifactsdk.training.real_data import image_files
from artifactsdk.training.synth.colour import rotate_hue
from artifactsdk.training.synth.scenes import procedural_scene
from artifactsdk.training.synth.text import stamp_sign

# scikit-image photos that ship inside the wheel (no pooch download needed).
SKIMAGE_PHOTOS = (
    "astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry", "retina",
    "rocket", "camera", "brick", "grass", "gravel", "moon", "coins", "clock", "page", "text",
    "cell", "colorwheel", "logo",
)
PHOTO_FRACTION = 0.6
REAL_PHOTO_FRACTION = 0.85  # with --photos: the rest keeps the bundled photos and scenes
SIGN_FRACTION = 0.12


@lru_cache(maxsize=1)
def photos() -> tuple[tuple[str, np.ndarray], ...]:
    """(name, HxWx3 uint8) of every bundled photo, loaded once per process."""
    import skimage.data

    loaded = [(f"skimage:{name}", _to_rgb(getattr(skimage.data, name)())) for name in SKIMAGE_PHOTOS]
    for path in _sklearn_sample_images():
        with Image.open(path) as picture:
            loaded.append((f"sklearn:{path.stem}", _to_rgb(np.asarray(picture.convert("RGB")))))
    return tuple(loaded)


def _sklearn_sample_images() -> list[Path]:
    """The JPEGs behind sklearn's ``load_sample_images``, found without importing
    scikit-learn (whose import costs seconds in every worker process)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("scikit-learn", "train", "The synthetic data engine")
    folder = Path(spec.submodule_search_locations[0]) / "datasets" / "images"
    return sorted(folder.glob("*.jpg"))


@lru_cache(maxsize=4)
def photo_files(folders: tuple[str, ...]) -> tuple[Path, ...]:
    """The image files directly inside each folder, sorted, so a seed picks the same
    photo on every machine that has the same folders."""
    return tuple(path for folder in folders for path in image_files(folder))


def clean_image(rng: np.random.Generator, size: int,
                photo_folders: tuple[str, ...] = ()) -> tuple[np.ndarray, str]:
    """A size x size RGB uint8 clean image and the name of its source."""
    if photo_folders and rng.random() < REAL_PHOTO_FRACTION:
        files = photo_files(photo_folders)
        path = files[int(rng.integers(len(files)))]
        image, name = _stretched_crop(read_rgb(path), rng, size), f"photo:{path.name}"
    elif rng.random() < PHOTO_FRACTION:
        pool = photos()
        name, photo = pool[int(rng.integers(len(pool)))]
        image = _random_crop(photo, rng, size)
    else:
        image, name = procedural_scene(rng, size)
    if rng.random() < 0.5:
        image = image[:, ::-1]
    if rng.random() < 0.1:
        image = image[::-1]
    image = _colour_jitter(np.ascontiguousarray(image), rng)
    if rng.random() < SIGN_FRACTION:  # legible signs in clean images too: text is no tell
        stamped = stamp_sign(image, rng, np.zeros(image.shape[:2], bool))
        if stamped is not None:
            image = stamped[0]
    return image, name


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 4:  # logo: composite on white
        alpha = image[..., 3:4].astype(np.float32) / 255
        image = image[..., :3] * alpha + 255 * (1 - alpha)
    return np.clip(image, 0, 255).astype(np.uint8)


def _random_crop(photo: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    height, width = photo.shape[:2]
    side = int(min(height, width) * rng.uniform(0.35, 1.0))
    crop_h = min(height, int(side * rng.uniform(0.85, 1.15)))
    crop_w = min(width, side)
    y = int(rng.integers(0, height - crop_h + 1))
    x = int(rng.integers(0, width - crop_w + 1))
    crop = Image.fromarray(photo[y:y + crop_h, x:x + crop_w])
    return np.asarray(crop.resize((size, size), Image.BICUBIC))


def _stretched_crop(photo: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """A crop of 60-100 % of each side, stretched to size x size as the runtime stretches
    whole images: real photographs keep their scale and content, only the aspect varies."""
    height, width = photo.shape[:2]
    crop_h = max(1, int(height * rng.uniform(0.6, 1.0)))
    crop_w = max(1, int(width * rng.uniform(0.6, 1.0)))
    y = int(rng.integers(0, height - crop_h + 1))
    x = int(rng.integers(0, width - crop_w + 1))
    crop = Image.fromarray(photo[y:y + crop_h, x:x + crop_w])
    return np.asarray(crop.resize((size, size), Image.BICUBIC))


def _colour_jitter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    pixels = image.astype(np.float32)
    grey = pixels.mean(axis=2, keepdims=True)
    saturation = rng.uniform(0.7, 1.3)
    pixels = grey + (pixels - grey) * saturation
    pixels = rotate_hue(pixels, rng.uniform(-12, 12))
    contrast = rng.uniform(0.8, 1.2)
    pixels = (pixels - pixels.mean()) * contrast + pixels.mean() + rng.uniform(-20, 20)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
