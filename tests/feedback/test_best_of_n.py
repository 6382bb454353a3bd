import numpy as np
import pytest

from artifactsdk.errors import InvalidInputError
from artifactsdk.feedback import best_of_n, negative_prompt
from artifactsdk.reward import ArtifactReward
from artifactsdk.taxonomy import BY_KEY
from tiny_bundle import red_square_image


def generator_with_artifacts(clean_seeds):
    """A generator whose images carry a red artifact (what the tiny bundle detects) except
    for the seeds in `clean_seeds`; it records every call."""
    calls = []

    def generate(prompt, seed):
        calls.append((prompt, seed))
        box = (0, 0, 0, 0) if seed in clean_seeds else (4 + seed % 8, 6, 36, 40)
        return red_square_image(64, box, seed=seed)
    return generate, calls


def test_best_of_n_picks_a_clean_candidate(detector):
    generate, calls = generator_with_artifacts(clean_seeds={13})
    reward = ArtifactReward(detector=detector)
    best = best_of_n(generate, "a cat", 5, reward, seeds=[10, 11, 12, 13, 14])
    assert calls == [("a cat", s) for s in (10, 11, 12, 13, 14)]
    assert best.seed == 13 and best.index == 3 and best.seeds == (10, 11, 12, 13, 14)
    assert best.rewards.shape == (5,) and best.reward == best.rewards.max()
    assert not best.detection.is_artifact and all(d.is_artifact for i, d in enumerate(best.info["detections"]) if i != 3)
    np.testing.assert_array_equal(best.image, generate("a cat", 13))


def test_default_seeds_and_their_checks(detector):
    generate, calls = generator_with_artifacts(clean_seeds={2})
    best = best_of_n(generate, "x", 4, ArtifactReward(detector=detector))
    assert [seed for _, seed in calls] == [0, 1, 2, 3] and best.seed == 2
    with pytest.raises(InvalidInputError, match="2 seeds for n=3"):
        best_of_n(generate, "x", 3, ArtifactReward(detector=detector), seeds=[1, 2])
    with pytest.raises(InvalidInputError, match="n must be at least 1"):
        best_of_n(generate, "x", 0, ArtifactReward(detector=detector))


def test_unreadable_candidates_are_skipped_and_all_unreadable_is_an_error(detector):
    def generate(prompt, seed):
        return b"broken" if seed % 2 else red_square_image(64, (8, 8, 20 + seed, 30), seed=seed)
    best = best_of_n(generate, "x", 4, ArtifactReward(detector=detector))
    assert np.isnan(best.rewards[[1, 3]]).all() and best.seed in (0, 2)
    with pytest.raises(InvalidInputError, match="none of the 2 candidates could be scored"):
        best_of_n(lambda prompt, seed: b"broken", "x", 2, ArtifactReward(detector=detector))


def test_fix_repairs_the_winner_through_rectify(detector):
    pytest.importorskip("torch")
    pytest.importorskip("cv2")
    generate, _ = generator_with_artifacts(clean_seeds=set())
    best = best_of_n(generate, "x", 3, ArtifactReward(detector=detector, reduce="area"), fix=True, inpainter="telea")
    assert best.fixed is not None and best.fixed.record.area_before == pytest.approx(best.detection.artifact_area)
    assert best.fixed.record.area_after < best.fixed.record.area_before
    assert best.image is best.fixed.image and best.image.shape == (64, 64, 3)


def test_negative_prompt_lists_the_detected_classes_prompts(detector):
    red = detector.detect(red_square_image(64, (8, 8, 40, 40)))
    clean = detector.detect(red_square_image(64, (0, 0, 0, 0)))
    assert red.labels == ("localized_blur",) and clean.labels == ()
    blur = BY_KEY["localized_blur"].prompts
    assert negative_prompt(red) == ", ".join(blur)
    assert negative_prompt(red, base=f"lowres, {blur[0]}") == ", ".join(("lowres",) + blur)
    assert negative_prompt(clean, base="lowres") == "lowres" and negative_prompt(clean) == ""
