import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artifactsdk import Detection, Detector
from artifactsdk.errors import ImageDecodeError, InvalidInputError
from tiny_bundle import red_square_image


def test_detect_finds_names_and_outlines_the_red_square(detector):
    result = detector.detect(red_square_image(64, (8, 8, 24, 24)))
    assert isinstance(result, Detection)
    assert result.is_artifact and result.artifact_score > 0.99
    assert result.labels == ("localized_blur",)
    assert result.scores["localized_blur"] > 0.99 and result.scores["abnormal_texture"] < 0.01
    (region,) = result.regions
    assert region.box == (8, 8, 24, 24) and region.area_fraction == pytest.approx(0.0625)
    assert region.label == "localized_blur"
    assert region.caption == "Localized blur in the upper left (6 % of the image)"
    assert result.model_mask.shape == (8, 8) and result.mask.shape == (64, 64)
    assert result.binary_mask()[10:22, 10:22].all() and not result.binary_mask()[30:, 30:].any()
    json.loads(result.to_json())


def test_clean_image_has_no_labels_and_no_regions(detector):
    result = detector.detect(red_square_image(64, (0, 0, 0, 0)))
    assert not result.is_artifact and result.artifact_score < 0.01
    assert result.labels == () and result.regions == ()


def test_every_input_kind_gives_the_same_detection(detector, tmp_path):
    pixels = red_square_image(64, (30, 40, 50, 60))
    path = tmp_path / "x.png"
    Image.fromarray(pixels).save(path)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    results = [detector.detect(source) for source in (pixels, path, str(path), buffer.getvalue(),
                                                      Image.fromarray(pixels))]
    dicts = [{**r.to_dict(), "source": None} for r in results]
    assert all(d == dicts[0] for d in dicts)
    assert results[1].source == str(path)
    assert results[0].regions[0].caption == "Localized blur at the bottom (9 % of the image)"


def test_detect_batch_matches_detect(detector):
    images = [red_square_image(64, (x, x, x + 16, x + 16), seed=x) for x in range(0, 40, 4)]
    batched = detector.detect_batch(images, batch_size=4)
    single = [detector.detect(image) for image in images]
    assert len(batched) == len(images)
    for a, b in zip(batched, single):
        assert [r.box for r in a.regions] == [r.box for r in b.regions]
        assert a.labels == b.labels
        np.testing.assert_allclose(a.model_mask, b.model_mask, atol=1e-5)
    with pytest.raises(InvalidInputError, match="batch_size"):
        detector.detect_batch(images, batch_size=0)


def test_eight_threads_give_exactly_the_sequential_results(detector):
    images = [red_square_image(48 + i % 5 * 8, (i % 17, i % 13, i % 17 + 12, i % 13 + 10), seed=i)
              for i in range(100)]
    images[::7] = [red_square_image(48, (0, 0, 0, 0), seed=i) for i in range(len(images[::7]))]
    sequential = [detector.detect(image) for image in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(detector.detect, images))
    assert [r.to_dict() for r in threaded] == [r.to_dict() for r in sequential]
    assert all(np.array_equal(a.model_mask, b.model_mask) for a, b in zip(threaded, sequential))
    assert not any(r.is_artifact for r in sequential[::7])  # the clean ones
    assert sum(r.is_artifact for r in sequential) > 80


def test_cascade_skips_the_segmenter_on_clean_images(tiny_bundle):
    with Detector.load(tiny_bundle, mode="cascade") as cascade:
        clean = cascade.detect(red_square_image(64, (0, 0, 0, 0)))
        flagged = cascade.detect(red_square_image(64, (8, 8, 24, 24)))
    assert not clean.segmented and clean.regions == () and not clean.mask.any()
    assert flagged.segmented and len(flagged.regions) == 1


def test_overlay_tints_artifacts_magenta_and_heatmap_has_the_image_size(detector):
    pixels = red_square_image(128, (64, 64, 112, 112))
    pixels[64:112, 64:112] = (200, 0, 0)  # still red enough, so the tint shows
    pixels[64:112, 64:112, 0] = 255
    result = detector.detect(pixels)
    overlay = np.asarray(result.overlay())
    assert overlay.shape == pixels.shape
    inside, outside = overlay[90, 90], overlay[20, 100]
    assert inside[2] > 100 and inside[1] < 10  # blue added: magenta tint
    assert np.array_equal(outside, pixels[20, 100])
    heat = result.heatmap()
    assert heat.size == (128, 128)
    assert np.asarray(heat)[90, 90].sum() > np.asarray(heat)[10, 10].sum()
    assert result.heatmap(alpha=0.5).size == (128, 128)


def test_load_options_are_checked(tiny_bundle):
    with pytest.raises(InvalidInputError, match="only on a GPU"):
        Detector.load(tiny_bundle, precision="fp16")
    with pytest.raises(InvalidInputError, match="unknown mode"):
        Detector.load(tiny_bundle, mode="fast")
    with Detector.load(tiny_bundle, precision="fp32", threads=1, thresholds={"pixel": 0.99999}) as strict:
        assert strict.describe()["models"]["segmenter"]["precision"] == "fp32"
        assert strict.thresholds["pixel"] == 0.99999
        strict.warmup()
        assert strict.detect(red_square_image(64, (8, 8, 24, 24))).regions == ()


def test_batches_are_split_at_the_backends_largest_batch(tiny_bundle):
    images = [red_square_image(64, (x, 8, x + 16, 24), seed=x) for x in range(0, 40, 8)]
    with Detector.load(tiny_bundle, precision="fp32") as whole, Detector.load(tiny_bundle, precision="fp32") as split:
        for backend in split.backends.values():
            backend.max_batch = 2  # as a TensorRT profile would cap it
        a, b = whole.detect_batch(images, batch_size=5), split.detect_batch(images, batch_size=5)
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b]


def test_a_detection_reports_its_own_stage_times(detector):
    single = detector.detect(red_square_image(64, (8, 8, 24, 24)))
    stages = single.timings_ms
    assert set(stages) == {"decode", "preprocess", "classifier", "segmenter", "postprocess", "total"}
    assert all(ms >= 0 for ms in stages.values()) and stages["segmenter"] > 0
    assert stages["total"] == pytest.approx(sum(ms for stage, ms in stages.items() if stage != "total"))
    assert json.loads(single.to_json(timings=True))["timings_ms"]["total"] == pytest.approx(stages["total"], abs=1e-3)
    assert "timings_ms" not in single.to_dict()  # the record of an image stays the same run to run
    batch = detector.detect_batch([red_square_image(64, (8, 8, 24, 24))] * 4, batch_size=4)
    # the four images share one model run: each carries a quarter of it
    assert len({d.timings_ms["segmenter"] for d in batch}) == 1


@pytest.mark.parametrize("single", ["x.png", Path("x.png"), b"\x89PNG", np.zeros((64, 64, 3), np.uint8)])
def test_detect_batch_refuses_one_image_where_a_list_is_expected(detector, single):
    """Issue 24: a str used to run over its characters (41 failures named "/", "t" ...)."""
    with pytest.raises(InvalidInputError, match="detect_batch takes a list of images"):
        detector.detect_batch(single)


def test_detect_on_a_folder_says_it_is_a_folder(detector, tmp_path):
    with pytest.raises(ImageDecodeError, match="is a folder, not an image file"):
        detector.detect(tmp_path)
