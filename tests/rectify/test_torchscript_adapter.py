import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artifactsdk.errors import InvalidInputError  # noqa: E402
from artifactsdk.rectify.inpainters import get_inpainter  # noqa: E402
from artifactsdk.rectify.zoom_in import repair  # noqa: E402


class TinyLama(torch.nn.Module):
    """LaMa's TorchScript contract with a small random network inside."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.ReLU(),
                                       torch.nn.Conv2d(8, 3, 3, padding=1))

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] % 8 != 0 or image.shape[-2] % 8 != 0:
            raise RuntimeError("sides must be multiples of 8")
        known = image * (1 - mask)
        return known + mask * torch.sigmoid(self.net(torch.cat([known, mask], dim=1)))


class WrongShape(torch.nn.Module):
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image[:, :1]


@pytest.fixture
def scripted(tmp_path):
    path = tmp_path / "tiny_lama.pt"
    torch.jit.save(torch.jit.script(TinyLama()), str(path))
    return path


def test_the_adapter_pads_runs_the_module_and_crops(scripted):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 50, 3), dtype=np.uint8)
    mask = np.zeros((37, 50), bool)
    mask[10:20, 5:30] = True
    painter = get_inpainter(f"torchscript:{scripted}")
    painted = painter.inpaint(image, mask, "cpu")
    assert painted.shape == image.shape and painted.dtype == np.uint8
    np.testing.assert_array_equal(painted[~mask], image[~mask])
    # The hole holds the network's output; compute it directly on the padded input.
    module = torch.jit.load(str(scripted))
    padded = np.pad(image, ((0, 3), (0, 6), (0, 0)), mode="symmetric")
    padded_mask = np.pad(mask, ((0, 3), (0, 6)))
    with torch.no_grad():
        expected = module(torch.from_numpy(padded).permute(2, 0, 1)[None].float() / 255,
                          torch.from_numpy(padded_mask)[None, None].float())
    expected = (expected[0].clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()[:37, :50]
    np.testing.assert_array_equal(painted[mask], expected[mask])
    assert not np.array_equal(painted[mask], image[mask])


def test_the_adapter_runs_through_the_zoom_in_pipeline(scripted, scene):
    _, mask, damaged = scene
    repaired, record = repair(damaged, mask, get_inpainter(f"torchscript:{scripted}"), "cpu")
    assert all(w.working_shape == (512, 512) for w in record.windows)
    assert repaired.shape == damaged.shape and not np.array_equal(repaired[mask], damaged[mask])


def test_bad_files_are_refused_clearly(tmp_path):
    with pytest.raises(InvalidInputError, match="no such file"):
        get_inpainter(f"torchscript:{tmp_path / 'missing.pt'}")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    image, mask = np.zeros((16, 16, 3), np.uint8), np.ones((16, 16), bool)
    with pytest.raises(InvalidInputError, match="TorchScript"):
        get_inpainter(f"torchscript:{junk}").inpaint(image, mask, "cpu")
    wrong = tmp_path / "wrong.pt"
    torch.jit.save(torch.jit.script(WrongShape()), str(wrong))
    with pytest.raises(InvalidInputError, match="expected the module to return"):
        get_inpainter(f"torchscript:{wrong}").inpaint(image, mask, "cpu")
