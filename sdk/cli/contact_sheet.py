"""A contact sheet: the overlays of many detections as small captioned tiles in one image.

Each tile is the detection's overlay (Detection.overlay(): artifacts tinted magenta,
regions outlined) scaled to `cell` pixels on its longest side and letterboxed on dark
grey, over a caption strip: the file name, the verdict with its artifact_score
("ARTIFACT 0.81" in magenta, "clean 0.12" in green) and the detected area in % of the
image. Tiles are laid out in rows of `columns`.

`SheetBuilder` keeps only the tiles (cell x (cell + caption) RGB pixels, about 230 kB
at the default 256 px), never a Detection, so a run over thousands of images does not
hold their full-size images and masks. Pillow and numpy only: this module is part of
the torch-free runtime package.

    sheet = SheetBuilder(columns=8, cell=256)
    for path in paths:
        sheet.add(path.name, detector.detect(path))
    sheet.save("sheet.png")
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from artifactsdk.errors import InvalidInputError
from artifactsdk.render import caption_font

DEFAULT_CELL = 256
DEFAULT_COLUMNS = 8
MIN_CELL = 96  # below this the caption no longer fits
GAP = 4  # pixels between tiles and around the sheet's edge
BACKGROUND = (40, 40, 40)  # the sheet, the letterbox
CAPTION_BACKGROUND = (18, 18, 18)
NAME_COLOUR = (235, 235, 235)
AREA_COLOUR = (170, 170, 170)
ARTIFACT_COLOUR = (255, 64, 255)  # the overlay's magenta, a little lighter to read on black
CLEAN_COLOUR = (90, 220, 110)
ELLIPSIS = "..."  # ASCII: every built-in font has it


class TileStyle:
    """Cell size, caption font and caption height for one cell size."""

    def __init__(self, cell: int = DEFAULT_CELL):
        if cell < MIN_CELL:
            raise InvalidInputError(f"cell must be at least {MIN_CELL} pixels (the caption needs the room), got {cell}")
        self.cell = int(cell)
        self.font_size = max(10, round(cell / 18))
        self.font = caption_font(self.font_size)
        self.padding = max(3, self.font_size // 3)
        ascent, descent = self.font.getmetrics()
        self.line_height = ascent + descent
        # Verdict and area share the second line when the widest pair fits, else the
        # area gets a third line (in every tile of the sheet, so all tiles match).
        widest = self.text_width("ARTIFACT 1.00  area 100.0%")
        lines = 2 if widest <= self.cell - 2 * self.padding else 3
        self.area_on_own_line = lines == 3
        self.caption_height = lines * self.line_height + (lines + 1) * self.padding

    @property
    def tile_size(self) -> tuple[int, int]:
        """(width, height) of one tile: the cell and its caption strip."""
        return self.cell, self.cell + self.caption_height

    def text_width(self, text: str) -> float:
        return self.font.getlength(text)


def shorten(text: str, width: float, measure) -> str:
    """`text` if `measure(text)` fits in `width`, else its start and end around "..."
    (the end is kept longer: it holds the number and the suffix that tell files apart)."""
    if measure(text) <= width:
        return text
    keep = len(text)
    while keep > 1:
        keep -= 1
        head = keep // 3
        candidate = text[:head] + ELLIPSIS + text[len(text) - (keep - head):]
        if measure(candidate) <= width:
            return candidate
    return ELLIPSIS


def area_text(area_fraction: float | None) -> str:
    if area_fraction is None:
        return "-"
    return f"{area_fraction * 100:.1f}%"


def tile(name: str, image: Image.Image, artifact_score: float, is_artifact: bool, area_fraction: float | None,
         style: TileStyle | None = None) -> Image.Image:
    """One tile: `image` (an overlay) scaled to the cell with its aspect kept and
    letterboxed, over a caption with `name`, the verdict and score and the area
    (`area_fraction` in [0, 1]; None = no mask was computed, shown as "-")."""
    style = style or TileStyle()
    cell = style.cell
    width, height = style.tile_size
    result = Image.new("RGB", (width, height), BACKGROUND)
    scale = cell / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    scaled = image.convert("RGB").resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    result.paste(scaled, ((cell - size[0]) // 2, (cell - size[1]) // 2))

    draw = ImageDraw.Draw(result)
    draw.rectangle((0, cell, width - 1, height - 1), fill=CAPTION_BACKGROUND)
    pad = style.padding
    top = cell + pad
    draw.text((pad, top), shorten(name, width - 2 * pad, style.text_width), fill=NAME_COLOUR, font=style.font)

    top += style.line_height + pad
    verdict = f"{'ARTIFACT' if is_artifact else 'clean'} {artifact_score:.2f}"
    draw.text((pad, top), verdict, fill=ARTIFACT_COLOUR if is_artifact else CLEAN_COLOUR, font=style.font)
    area = f"area {area_text(area_fraction)}"
    if style.area_on_own_line:
        top += style.line_height + pad
        draw.text((pad, top), area, fill=AREA_COLOUR, font=style.font)
    else:
        draw.text((width - pad - style.text_width(area), top), area, fill=AREA_COLOUR, font=style.font)
    return result


def detection_tile(name: str, detection, style: TileStyle | None = None) -> Image.Image:
    """The tile of a Detection (it must keep its image, as Detector.detect's results do)."""
    area = float(np.mean(detection.binary_mask())) if detection.segmented else None
    return tile(name, detection.overlay(), detection.artifact_score, detection.is_artifact, area, style)


def sheet_size(count: int, columns: int, tile_size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of a sheet of `count` tiles in rows of at most `columns`
    (fewer images than columns make one narrower row)."""
    if count < 1:
        raise InvalidInputError("a contact sheet needs at least one tile")
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    return columns * tile_size[0] + (columns + 1) * GAP, rows * tile_size[1] + (rows + 1) * GAP


def compose(tiles: list[Image.Image], columns: int = DEFAULT_COLUMNS) -> Image.Image:
    """Lay equally sized `tiles` out left to right, top to bottom, `columns` per row."""
    if columns < 1:
        raise InvalidInputError(f"columns must be at least 1, got {columns}")
    tile_size = tiles[0].size if tiles else (0, 0)
    if any(t.size != tile_size for t in tiles):
        raise InvalidInputError("all tiles of a contact sheet must have the same size")
    sheet = Image.new("RGB", sheet_size(len(tiles), columns, tile_size), BACKGROUND)
    columns = min(columns, len(tiles))
    for index, picture in enumerate(tiles):
        row, column = divmod(index, columns)
        sheet.paste(picture, (GAP + column * (tile_size[0] + GAP), GAP + row * (tile_size[1] + GAP)))
    return sheet


class SheetBuilder:
    """Collects one tile per detection (`add`) and writes the sheet (`save`)."""

    def __init__(self, columns: int = DEFAULT_COLUMNS, cell: int = DEFAULT_CELL):
        if columns < 1:
            raise InvalidInputError(f"columns must be at least 1, got {columns}")
        self.columns = int(columns)
        self.style = TileStyle(cell)
        self.tiles: list[Image.Image] = []

    def __len__(self) -> int:
        return len(self.tiles)

    @property
    def tile_size(self) -> tuple[int, int]:
        return self.style.tile_size

    def add(self, name: str, detection) -> None:
        """Render the detection's tile now and keep only the tile."""
        self.tiles.append(detection_tile(name, detection, self.style))

    def add_image(self, name: str, image: Image.Image, artifact_score: float, is_artifact: bool,
                  area_fraction: float | None) -> None:
        """A tile from an already drawn overlay (or any picture) and its numbers."""
        self.tiles.append(tile(name, image, artifact_score, is_artifact, area_fraction, self.style))

    def compose(self) -> Image.Image:
        if not self.tiles:
            raise InvalidInputError("no tiles: add at least one detection before composing the sheet")
        return compose(self.tiles, self.columns)

    def save(self, path: str | Path) -> Path:
        """Write the sheet as PNG (creating the folder); returns the path."""
        path = Path(path)
        sheet = self.compose()
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path, format="PNG")
        return path
