"""Detected artifact classes -> negative-prompt terms, for regenerating a flagged image."""

from __future__ import annotations

from artifactsdk.taxonomy import BY_KEY


def negative_prompt(detection, base: str = "") -> str:
    """The taxonomy's prompts for each class the detection labels (best first), appended to
    `base` (an existing negative prompt), comma-separated, each term once. Without labels
    the result is `base`."""
    terms = [term.strip() for term in base.split(",") if term.strip()]
    for key in detection.labels:
        terms += [prompt for prompt in BY_KEY[key].prompts if prompt not in terms]
    return ", ".join(terms)
