"""The Ray engine's inputs: listed on the driver like the local engine lists them, read
where they are scanned; URIs through pyarrow's file systems (file:// stands in for s3://)."""

import io
import pickle

import pytest

pytest.importorskip("pyarrow")

from PIL import Image  # noqa: E402

from artifactsdk.scan.sources import list_sources, read_source  # noqa: E402


NAMES = ("a.png", "b.JPG", "notes.txt", "sub/c.png")


def _image_bytes(seed: int) -> bytes:
    """A small PNG (whatever the file's suffix: the header decides), different per seed."""
    buffer = io.BytesIO()
    Image.new("RGB", (4 + seed, 4), (seed, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "sub").mkdir()
    for seed, name in enumerate(NAMES):
        (tmp_path / name).write_bytes(_image_bytes(seed))
    return tmp_path


def _contents(*names):
    return [_image_bytes(NAMES.index(name)) for name in names]


def _names(sources):
    return [row["path"] for row in sources.rows]


def test_local_folders_are_listed_like_the_local_engine_lists_them(tree):
    top = list_sources([str(tree)], recursive=False)
    assert _names(top) == [str(tree / "a.png"), str(tree / "b.JPG")]
    deep = list_sources([str(tree)], recursive=True)
    assert _names(deep) == [str(tree / "a.png"), str(tree / "b.JPG"), str(tree / "sub" / "c.png")]
    assert [read_source(deep.filesystems, row) for row in deep.rows] == _contents("a.png", "b.JPG", "sub/c.png")
    named = list_sources([str(tree / "notes.txt")], recursive=False)  # a file named is taken whatever its suffix
    assert read_source(named.filesystems, named.rows[0]) == _contents("notes.txt")[0]


def test_uri_prefixes_are_listed_and_read_through_pyarrow(tree):
    sources = list_sources([tree.as_uri()], recursive=True)
    assert _names(sources) == [(tree / name).as_uri() for name in ("a.png", "b.JPG", "sub/c.png")]
    filesystems = pickle.loads(pickle.dumps(sources.filesystems))  # as each Ray actor receives them
    assert [read_source(filesystems, row) for row in sources.rows] == _contents("a.png", "b.JPG", "sub/c.png")
    single = list_sources([(tree / "sub" / "c.png").as_uri()], recursive=False)
    assert _names(single) == [(tree / "sub" / "c.png").as_uri()]


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_missing_path_is_a_row_whose_read_fails_clearly(tree, as_uri):
    missing = tree / "gone.png"
    sources = list_sources([missing.as_uri() if as_uri else str(missing), str(tree / "a.png")], recursive=False)
    rows = {row["path"]: row for row in sources.rows}
    assert set(rows) == {missing.as_uri() if as_uri else str(missing), str(tree / "a.png")}
    with pytest.raises(FileNotFoundError, match="gone.png"):
        read_source(sources.filesystems, rows[missing.as_uri() if as_uri else str(missing)])
