import pytest

import tiny_models


@pytest.fixture(scope="session")
def heldout():
    from artifactsdk.export.heldout import synthetic_heldout

    return synthetic_heldout(16, seed=1, size=64)


@pytest.fixture(scope="session")
def calibration():
    from artifactsdk.calibration.sources import SynthImages, load_images

    return load_images(SynthImages(16, seed=0, size=64))


@pytest.fixture(scope="session")
def fp32_segmenter(tmp_path_factory):
    """(torch model, simplified fp32 ONNX path) of a tiny random segmenter."""
    from artifactsdk.export.onnx_export import export_onnx
    from artifactsdk.export.simplify import simplify_onnx

    work = tmp_path_factory.mktemp("fp32")
    model = tiny_models.randomized(tiny_models.TinySegmenter)
    raw = export_onnx(model, "segmentation", tiny_models.SPEC, work / "raw.onnx")
    return model, simplify_onnx(raw, work / "segmenter.fp32.onnx")
