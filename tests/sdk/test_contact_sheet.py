"""`artifactsdk detect --sheet`: the contact sheet of overlays (artifactsdk.cli.contact_sheet).

The CLI tests run the shipped default bundle on small images; they check layout and
plumbing, never what the models find."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from artifactsdk.cli.contact_sheet import BACKGROUND, GAP, SheetBuilder, TileStyle, shorten, tile

SOLID = (20, 90, 230)  # a blue no overlay tint or caption uses


def _noise(seed: int, size=(64, 64)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def _run(*args):
    return CliRunner().invoke(main, ["detect", *map(str, args), "--threads", "1"])


def _cell_origin(index: int, columns: int, tile_size) -> tuple[int, int]:
    row, column = divmod(index, columns)
    return GAP + column * (tile_size[0] + GAP), GAP + row * (tile_size[1] + GAP)


def test_sheet_size_follows_columns_cell_and_rows(tmp_path):
    for i in range(5):
        _noise(i).save(tmp_path / f"img{i}.png")
    sheet = tmp_path / "out" / "sheet.png"
    result = _run(tmp_path, "--sheet", sheet, "--sheet-columns", 2, "--sheet-cell", 128)
    assert result.exit_code == 0, result.output
    assert f"contact sheet: {sheet} (5 images)" in result.stderr
    width, height = TileStyle(128).tile_size
    assert width == 128 and height > 128  # the caption strip sits under the cell
    # 2 columns, 3 rows (the last one half empty), GAP pixels around every tile.
    assert Image.open(sheet).size == (2 * width + 3 * GAP, 3 * height + 4 * GAP)


def test_a_tile_shows_the_images_overlay_letterboxed(tmp_path):
    from artifactsdk import Detector

    _noise(1).save(tmp_path / "a.png")
    Image.new("RGB", (96, 48), SOLID).save(tmp_path / "b_wide.png")  # second tile, 2:1
    sheet = tmp_path / "sheet.png"
    result = _run(tmp_path, "--sheet", sheet, "--sheet-cell", 128)
    assert result.exit_code == 0, result.output
    pixels = np.asarray(Image.open(sheet).convert("RGB")).astype(np.float32)
    x, y = _cell_origin(1, 2, TileStyle(128).tile_size)
    cell = pixels[y:y + 128, x:x + 128]
    # 96x48 scaled to 128x64, centred: 32 rows of dark grey letterbox above and below it.
    assert (cell[:30] == BACKGROUND).all() and (cell[-30:] == BACKGROUND).all()
    with Detector.load(threads=1) as detector:
        overlay = detector.detect(tmp_path / "b_wide.png").overlay()
    # the overlay scaled as a tile scales it, without its outer rows (resampled against the letterbox)
    expected = np.asarray(overlay.resize((128, 64), Image.Resampling.LANCZOS, reducing_gap=2.0)).astype(np.float32)
    shown = cell[34:94]
    assert np.abs(shown - expected[2:62]).max() <= 1.0
    if not (expected == SOLID).all(axis=-1).any():
        pytest.skip("the overlay tinted the whole image")  # never seen; the check below needs some blue left
    assert (np.abs(shown - SOLID).max(axis=-1) < 8).any()  # the solid blue itself shows in its cell


def test_failed_images_are_left_out_and_the_sheet_still_written(tmp_path):
    for i in range(3):
        _noise(i).save(tmp_path / f"good{i}.png")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("not a JPEG\n")
    sheet = tmp_path / "sheet.png"
    result = _run(tmp_path, "--sheet", sheet, "--sheet-cell", 96, "--jsonl")
    assert result.exit_code == 0, result.output
    assert "5 images: 3 processed" in result.stderr and result.stderr.count("error: ") == 2
    width, height = TileStyle(96).tile_size
    assert Image.open(sheet).size == (3 * width + 4 * GAP, height + 2 * GAP)  # fewer images than columns: one row


def test_sheet_must_not_overwrite_an_input(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    _noise(3).save(folder / "a.png")
    (folder / "link.png").symlink_to(folder / "a.png")
    original = (folder / "a.png").read_bytes()
    for target in (folder / "a.png", folder / ".." / "images" / "a.png", folder / "link.png"):
        for inputs in ([folder], [folder / "a.png"]):
            result = _run(*inputs, "--sheet", target)
            assert result.exit_code == 2, (target, inputs, result.output)
            assert "is one of the input images" in result.output
    not_png = _run(folder, "--sheet", tmp_path / "sheet.jpg")
    assert not_png.exit_code == 2 and "ending in .png" in not_png.output
    assert (folder / "a.png").read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images"]


def test_tile_letterboxes_and_captions_without_a_detector():
    style = TileStyle(128)
    picture = tile("a-very-long-file-name-that-cannot-fit-in-one-line-000123.jpg",
                   Image.new("RGB", (40, 80), SOLID), 0.81, True, 0.1234, style)
    assert picture.size == style.tile_size
    pixels = np.asarray(picture)
    assert (pixels[10:118, 36:92] == SOLID).all()  # 40x80 -> 64x128, centred
    assert (pixels[:128, :30] == BACKGROUND).all() and (pixels[:128, -30:] == BACKGROUND).all()
    caption = pixels[128:]
    assert (caption != pixels[-1, 0]).any()  # text was drawn in the strip
    assert tuple(picture.getpixel((0, 0))) == BACKGROUND


def test_shorten_keeps_the_end_and_fits():
    measure = len
    assert shorten("short.png", 20, measure) == "short.png"
    short = shorten("generated_image_with_a_long_name_0042.png", 20, measure)
    assert len(short) <= 20 and short.endswith("0042.png") and "..." in short


def test_builder_counts_tiles_and_sizes_the_sheet():
    builder = SheetBuilder(columns=4, cell=96)
    for i in range(6):
        builder.add_image(f"{i}.png", _noise(i, (50, 30)), 0.1 * i, i % 2 == 1, None)
    width, height = builder.tile_size
    assert len(builder) == 6 and builder.compose().size == (4 * width + 5 * GAP, 2 * height + 3 * GAP)
    with pytest.raises(ValueError):
        SheetBuilder(cell=32)
