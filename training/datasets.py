"""Dataset loaders: PAL (images + 0/1 label maps), SynArtifact-1K (images + one JSON of
boxes, classes and captions each) and the synthetic engine's output, which is both.

Every dataset is a ``Sequence[Sample]``: files are listed when it is opened and
decoded one item at a time. A missing or unreadable file raises ``DatasetError``
naming that file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from artifactsdk import taxonomy
from artifactsdk.errors import DatasetError
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.progress import collect


@dataclass(frozen=True)
class Annotation:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels; x1 / y1 exclusive
    class_index: int
    caption: str

    def to_dict(self) -> dict:
        return {"box": list(self.box), "class_index": self.class_index,
                "class_key": taxonomy.get(self.class_index).key, "caption": self.caption}

    def to_synartifact(self) -> dict:
        """This annotation as one entry of SynArtifact-1K's "Artifacts annotation" list
        (corners are the first and the last pixel inside the box)."""
        x0, y0, x1, y1 = self.box
        return {"rect_start": [x0, y0], "rect_end": [x1 - 1, y1 - 1],
                "artifacts_caption": self.caption, "artifacts_class": str(self.class_index)}


@dataclass(frozen=True)
class Sample:
    name: str
    image_path: Path
    image: np.ndarray                                 # HxWx3 uint8 RGB
    mask: np.ndarray | None                           # HxW uint8 0/1
    annotations: tuple[Annotation, ...] | None
    clean: np.ndarray | None                          # the image before artifacts (synth only)

    def to_dict(self) -> dict:
        return {"name": self.name, "image_path": str(self.image_path),
                "height": int(self.image.shape[0]), "width": int(self.image.shape[1]),
                "mask_pixels": None if self.mask is None else int(self.mask.sum()),
                "annotations": None if self.annotations is None
                else [a.to_dict() for a in self.annotations],
                "has_clean": self.clean is not None}


@dataclass(frozen=True)
class _Entry:
    """Where one sample's files are; nothing is read until the sample is asked for."""
    name: str
    image: Path
    label: Path | None = None
    annotation: Path | None = None
    clean: Path | None = None


class _FileDataset(Sequence):
    """A list of entries, decoded lazily into samples."""

    def __init__(self, root: Path, entries: list[_Entry]):
        self.root = root
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        entry = self._entries[index]
        image = read_rgb(entry.image)
        height, width = image.shape[:2]
        mask = None if entry.label is None else read_mask(entry.label, (height, width))
        annotations = None if entry.annotation is None else _clip(
            read_synartifact_json(entry.annotation)[1], height, width)
        clean = None
        if entry.clean is not None:
            clean = read_rgb(entry.clean)
            if clean.shape != image.shape:
                raise DatasetError(f"{entry.clean}: clean image is {clean.shape}, expected the "
                                   f"shape of {entry.image} {image.shape}")
        return Sample(entry.name, entry.image, image, mask, annotations, clean)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r}, {len(self)} samples)"


class PALDataset(_FileDataset):
    """``images/{split}/*.jpg|png`` with ``labels/{split}/*.png`` (0 = clean, 1 = artifact),
    or flat ``images/`` + ``labels/`` when ``split`` is None."""

    def __init__(self, root: str | Path, split: str | None = None):
        root = Path(root)
        image_dir = _require_dir(root / "images" / (split or ""))
        label_dir = root / "labels" / (split or "")
        images = _images_in(image_dir)
        if not images:
            splits = sorted(p.name for p in image_dir.iterdir() if p.is_dir())
            hint = f"; pass split= one of {splits}" if splits else ""
            raise DatasetError(f"{image_dir}: no images ({', '.join(IMAGE_SUFFIXES)}) found{hint}.")
        entries = [_Entry(path.stem, path, label=label_dir / f"{path.stem}.png") for path in images]
        super().__init__(root, entries)


class SynArtifactDataset(_FileDataset):
    """SynArtifact-1K: ``data/sub_data_*/images`` with ``annotation_json_artifacts_class``
    JSONs, and ``data/{split}.txt`` listing image paths relative to ``data/``.
    ``root`` may be the folder that holds ``data/`` or ``data/`` itself."""

    def __init__(self, root: str | Path, split: str | None = "train"):
        root = Path(root)
        data = root / "data" if (root / "data").is_dir() else root
        _require_dir(data)
        if split is None:
            images = sorted(p for p in data.glob("sub_data_*/images/*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            images = [data / line for line in _read_list(data / f"{split}.txt")]
        entries = [_Entry(f"{path.parent.parent.name}/{path.stem}", path,
                          annotation=path.parent.parent / "annotation_json_artifacts_class"
                          / f"{path.stem}.json") for path in images]
        super().__init__(root, entries)


class SynthDataset(_FileDataset):
    """The synthetic engine's output: PAL's flat layout plus a SynArtifact JSON per image
    (``annotations/``) and, when written with ``--with-clean``, the clean originals."""

    def __init__(self, root: str | Path, split: str | None = None):
        root = Path(root)
        listing = root / f"{split or 'train'}.txt"
        images = [root / line for line in _read_list(listing)]
        entries = []
        for path in images:
            clean = root / "clean" / path.name
            entries.append(_Entry(path.stem, path, label=root / "labels" / f"{path.stem}.png",
                                  annotation=root / "annotations" / f"{path.stem}.json",
                                  clean=clean if clean.exists() else None))
        super().__init__(root, entries)


def open_dataset(root: str | Path, split: str | None = None) -> _FileDataset:
    """Open ``root`` as whichever layout it holds: synth output, SynArtifact-1K or PAL."""
    root = Path(root)
    if (root / "annotations").is_dir() and (root / "labels").is_dir():
        return SynthDataset(root, split)
    data = root / "data" if (root / "data").is_dir() else root
    if any(data.glob("sub_data_*")):
        return SynArtifactDataset(root, split or "train")
    if (root / "images").is_dir():
        return PALDataset(root, split)
    raise DatasetError(f"{root}: not a dataset folder. Expected synth output (images/, labels/, "
                       "annotations/), SynArtifact-1K (data/sub_data_*/) or PAL (images/, labels/).")


def load_samples(root: str | Path, quiet: bool, split: str | None = None) -> list[Sample]:
    """Every sample of the dataset folder at `root` (any layout open_dataset reads), decoded,
    with progress on a terminal unless `quiet`; `split` as in open_dataset."""
    dataset = open_dataset(root, split)
    return collect((dataset[index] for index in range(len(dataset))), f"reading {root}", len(dataset), quiet)


def read_rgb(path: Path) -> np.ndarray:
    """Decode an image file to HxWx3 uint8 RGB, or raise DatasetError naming it."""
    try:
        with Image.open(path) as picture:
            return np.asarray(picture.convert("RGB"))
    except FileNotFoundError:
        raise DatasetError(f"{path}: image file is missing; expected it next to its "
                           "label / annotation. Restore it or remove it from the list.") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot decode the image ({exc}); replace or remove the file.") from None


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A label map as HxW uint8 0/1 (any non-zero value counts as artifact)."""
    try:
        with Image.open(path) as picture:
            label = np.asarray(picture.convert("L"))
    except FileNotFoundError:
        raise DatasetError(f"{path}: label map is missing; every image needs a one-channel "
                           "PNG of the same name under labels/.") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot decode the label map ({exc}).") from None
    if label.shape != shape:
        raise DatasetError(f"{path}: label map is {label.shape[1]}x{label.shape[0]}, expected the "
                           f"image's {shape[1]}x{shape[0]}.")
    return (label > 0).astype(np.uint8)


def read_synartifact_json(path: Path) -> tuple[str, tuple[Annotation, ...]]:
    """("Image path", annotations) from one SynArtifact-1K JSON; an empty list is a clean image."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        items = record["Artifacts annotation"]
        annotations = tuple(_annotation(item) for item in items)
        return str(record.get("Image path", "")), annotations
    except FileNotFoundError:
        raise DatasetError(f"{path}: annotation JSON is missing.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc}).") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: expected SynArtifact-1K fields ('Artifacts annotation' list of "
                           f"rect_start, rect_end, artifacts_caption, artifacts_class); {exc!r}") from None


def _annotation(item: dict) -> Annotation:
    (xa, ya), (xb, yb) = item["rect_start"], item["rect_end"]
    box = (int(min(xa, xb)), int(min(ya, yb)), int(max(xa, xb)) + 1, int(max(ya, yb)) + 1)
    return Annotation(box, taxonomy.get(item["artifacts_class"]).index,
                      str(item.get("artifacts_caption", "")))


def _clip(annotations: tuple[Annotation, ...], height: int, width: int) -> tuple[Annotation, ...]:
    def clip(box):
        x0, y0, x1, y1 = box
        return (min(max(x0, 0), width), min(max(y0, 0), height),
                min(max(x1, 0), width), min(max(y1, 0), height))
    return tuple(Annotation(clip(a.box), a.class_index, a.caption) for a in annotations)


def _read_list(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: list of image paths is missing; expected one path per line "
                           "(relative to its folder).") from None
    entries = [line.strip() for line in lines if line.strip()]
    return [line[len("data/"):] if line.startswith("data/") else line for line in entries]


def _require_dir(path: Path) -> Path:
    if not path.is_dir():
        raise DatasetError(f"{path}: folder is missing; expected the dataset's images there.")
    return path


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
