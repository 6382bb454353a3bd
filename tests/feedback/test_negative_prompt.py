"""negative_prompt fits CLIP's 77-token window (issue 24: 68 words came back for one image),
counted with CLIP's real vocabulary (instant-clip-tokenizer) and with the safe bound used
where that is not installed."""

import importlib

import pytest

from artifactsdk import Detection
from artifactsdk.feedback import negative_prompt
from artifactsdk.taxonomy import BY_KEY, CLASSES

clip = pytest.importorskip("instant_clip_tokenizer")
WINDOW = 77


def labelled(*keys: str) -> Detection:
    return Detection(size=(64, 64), original_size=(64, 64), artifact_score=0.9, is_artifact=True, scores={},
                     labels=keys, regions=(), segmented=False, pixel_threshold=0.5)


def window_tokens(text: str) -> int:
    """CLIP's tokens as the text encoder gets them: start and end markers included."""
    return len(clip.Tokenizer().encode(text)) + 2


ALL = tuple(c.key for c in CLASSES)


@pytest.mark.parametrize("keys", [ALL, ALL[::-1], *[(key,) for key in ALL]])
def test_the_prompt_fits_clips_window_and_is_filled(keys):
    text = negative_prompt(labelled(*keys), base="lowres, watermark")
    assert window_tokens(text) <= WINDOW
    assert text.startswith("lowres, watermark")
    left_out = [prompt for key in keys for prompt in BY_KEY[key].prompts if prompt not in text]
    assert all(window_tokens(f"{text}, {p}") > WINDOW for p in left_out)  # nothing that fits was dropped


def test_without_the_tokenizer_the_bound_is_safe(monkeypatch):
    # the module (the package exports the function under the same name)
    monkeypatch.setattr(importlib.import_module("artifactsdk.feedback.negative_prompt"), "_tokenizer", lambda: None)
    text = negative_prompt(labelled(*ALL))
    assert text and window_tokens(text) <= WINDOW
