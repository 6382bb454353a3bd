"""The engine on real photographs (--photos), the generator-failure families and the
hard negatives (camera effects labelled clean)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from artifactsdk.errors import DatasetError
from artifactsdk.training.synth import SynthConfig, generate_sample
from artifactsdk.training.synth.camera import CAMERA_EFFECTS, apply_camera_effects, pick_camera_effects
from artifactsdk.training.synth.injectors import inject_distortion, inject_duplicate, inject_texture
from artifactsdk.training.synth.scenes import procedural_scene
from artifactsdk.training.synth.shapes import random_region


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """Three 'photographs' of different sizes: smooth gradients with edges and texture."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i, (height, width) in enumerate(((200, 300), (240, 180), (160, 160))):
        scene, _ = procedural_scene(rng, 256)
        Image.fromarray(scene).resize((width, height)).save(folder / f"photo{i}.jpg", quality=92)
    (folder / "notes.txt").write_text("not an image")
    return folder


def photo_config(folder, **changes) -> SynthConfig:
    return SynthConfig(size=128, photos=(str(folder),), **changes)


def test_photo_bases_are_deterministic_by_seed_and_come_from_the_folder(photo_folder):
    config = photo_config(photo_folder)
    a, b = generate_sample(3, 4, config), generate_sample(3, 4, config)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    sources = [generate_sample(3, i, config).source for i in range(20)]
    real = [s for s in sources if s.startswith("photo:")]
    assert len(real) >= 12  # REAL_PHOTO_FRACTION of the bases, the rest bundled photos / scenes
    assert {s.split(":")[1] for s in real} <= {"photo0.jpg", "photo1.jpg", "photo2.jpg"}


def test_masks_on_photo_bases_are_exactly_the_changed_pixels(photo_folder):
    config = photo_config(photo_folder, camera_effect_fraction=0.5)
    for i in range(12):
        s = generate_sample(9, i, config)
        outside = s.mask == 0
        assert np.array_equal(s.image[outside], s.clean[outside])
        if s.annotations:
            changed = np.abs(s.image.astype(int) - s.clean).max(axis=2) > 0
            assert changed[s.mask == 1].mean() > 0.8


def test_a_folder_without_images_is_refused_with_its_name(tmp_path):
    with pytest.raises(DatasetError, match="no images"):
        generate_sample(0, 0, photo_config(tmp_path, negative_fraction=1.0))


def test_synth_cli_with_photos_records_them_and_writes_family_sheets(photo_folder, tmp_path):
    out, sheets = tmp_path / "data", tmp_path / "families"
    result = CliRunner().invoke(main, ["synth", "--out", str(out), "--count", "6", "--seed", "2", "--size", "96",
                                       "--photos", str(photo_folder), "--camera-effects", "0.5",
                                       "--negative-fraction", "0.3", "--workers", "1", "--quiet",
                                       "--classes", "distorted_components,abnormal_texture",
                                       "--preview-families", str(sheets)])
    assert result.exit_code == 0, result.output
    recorded = json.loads((out / "synth.json").read_text())
    assert recorded["photos"] == [str(photo_folder)] and recorded["camera_effect_fraction"] == 0.5
    assert sorted(p.name for p in sheets.iterdir()) == [
        "abnormal_texture.png", "distorted_components.png", "hard_negatives.png"]


@pytest.fixture()
def base():
    scene, _ = procedural_scene(np.random.default_rng(4), 128)
    return scene.astype(np.float32)


def _region(seed: int, area: float = 0.05):
    return random_region(np.random.default_rng(seed), 128, 128, area, (64.0, 64.0), kind="blob")


@pytest.mark.parametrize("injector, variant", [
    (inject_distortion, "melted"), (inject_distortion, "misaligned"),
    (inject_duplicate, "overlapping copy"), (inject_texture, "hallucinated detail"),
    (inject_texture, "worm texture")])
def test_each_generator_failure_family_changes_pixels_near_its_region_only(injector, variant, base):
    for seed in range(80):  # the variant is drawn from the generator; find a seed that draws it
        injection = injector(base, _region(seed), np.random.default_rng(seed), 0.8)
        if injection.variant.endswith(variant):
            break
    else:
        pytest.fail(f"no seed drew {variant}")
    changed = np.abs(injection.image - base).max(axis=2) > 3
    assert changed.sum() > 50
    near = injection.region.support
    for _ in range(3):  # warps and seams reach a pixel or two past the support
        near = near | np.roll(near, 1, 0) | np.roll(near, -1, 0) | np.roll(near, 1, 1) | np.roll(near, -1, 1)
    assert not (changed & ~near).any()


@pytest.mark.parametrize("name", list(CAMERA_EFFECTS))
def test_each_camera_effect_changes_the_whole_image_but_is_labelled_clean(name, base):
    rng = np.random.default_rng(1)
    image = base.astype(np.uint8)
    affected = apply_camera_effects(image, rng, (name,))
    assert affected.shape == image.shape and affected.dtype == np.uint8
    assert np.abs(affected.astype(int) - image).max() > 3


def test_hard_negative_samples_have_empty_masks(photo_folder):
    config = photo_config(photo_folder, negative_fraction=1.0, camera_effect_fraction=1.0)
    for i in range(6):
        s = generate_sample(5, i, config)
        assert "+" in s.source  # the camera effects are named in the source
        assert s.mask.sum() == 0 and not s.annotations and np.array_equal(s.image, s.clean)


def test_camera_effects_are_picked_only_with_their_probability():
    rng = np.random.default_rng(0)
    assert pick_camera_effects(rng, 0.0) == ()
    picks = [pick_camera_effects(rng, 1.0) for _ in range(50)]
    assert all(1 <= len(p) <= 2 and len(set(p)) == len(p) for p in picks)
    assert all(p[-1] == "jpeg_blocking" for p in picks if "jpeg_blocking" in p)
