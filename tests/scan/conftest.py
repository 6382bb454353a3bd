import pytest
from PIL import Image

from tiny_bundle import build_tiny_bundle, red_square_image


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory):
    return build_tiny_bundle(tmp_path_factory.mktemp("tiny_bundle"))


@pytest.fixture
def folder(tmp_path):
    """10 good images of mixed sizes (every other one with a red artifact), 3 broken files."""
    root = tmp_path / "images"
    root.mkdir()
    for i in range(10):
        size = 64 + 16 * i
        box = (4 + i, 6, 40 + i, 42) if i % 2 == 0 else (0, 0, 0, 0)
        pixels = red_square_image(size, box, seed=i)
        Image.fromarray(pixels).save(root / (f"img{i:02d}.jpg" if i % 3 == 0 else f"img{i:02d}.png"))
    (root / "empty.png").write_bytes(b"")
    (root / "truncated.png").write_bytes((root / "img01.png").read_bytes()[:100])
    (root / "notes.png").write_text("this is text, not a PNG\n")
    return root
