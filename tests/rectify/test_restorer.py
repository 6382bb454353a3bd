import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artifactsdk.errors import BundleError  # noqa: E402
from artifactsdk.models.restorer import RestorerNet, shipped_restorer  # noqa: E402
from artifactsdk.rectify.inpainters.restorer import RestorerInpainter  # noqa: E402
from artifactsdk.rectify.metrics import region_psnr  # noqa: E402
from artifactsdk.rectify.zoom_in import repair  # noqa: E402


def test_the_shipped_weights_load_and_restore_a_darkened_region(scene):
    clean, mask, _ = scene
    darkened = clean.copy()
    darkened[mask] = (darkened[mask] * 0.5).astype(np.uint8)      # a luminance discrepancy
    assert shipped_restorer().is_file()
    repaired, _ = repair(darkened, mask, RestorerInpainter(), "cpu")
    assert region_psnr(repaired, clean, mask) > region_psnr(darkened, clean, mask) + 3


def test_odd_sizes_are_padded_and_known_pixels_kept():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
    mask = np.zeros((45, 70), bool)
    mask[10:30, 20:50] = True
    painted = RestorerInpainter().inpaint(image, mask, "cpu")
    assert painted.shape == image.shape
    np.testing.assert_array_equal(painted[~mask], image[~mask])


def test_the_network_only_changes_the_hole():
    torch.manual_seed(0)
    network = RestorerNet().eval()
    image, fill = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    hole = torch.zeros(1, 1, 32, 32)
    hole[..., 8:20, 8:20] = 1
    with torch.no_grad():
        out = network(image, hole, fill)
    assert torch.equal(out * (1 - hole), image * (1 - hole))
    assert not torch.equal(out * hole, image * hole)


def test_missing_weights_are_a_clear_error(tmp_path):
    image, mask = np.zeros((16, 16, 3), np.uint8), np.ones((16, 16), bool)
    with pytest.raises(BundleError, match="restorer_recipe"):
        RestorerInpainter(tmp_path / "none.pt").inpaint(image, mask, "cpu")


def test_the_recipe_makes_pairs_through_the_repair_planning():
    pytest.importorskip("scipy")
    from artifactsdk.training.restorer_recipe import window_triples
    triples = next(t for t in (window_triples(5, index) for index in range(1, 6)) if t)
    for image, hole, clean in triples:
        assert image.shape == clean.shape and image.shape[:2] == hole.shape and hole.any()
        assert max(hole.shape) <= RestorerInpainter.working_size
        assert np.abs(image[~hole].astype(int) - clean[~hole]).mean() < 2   # artifacts lie in the hole
        assert np.abs(image[hole].astype(int) - clean[hole]).mean() > 2
