"""Detected artifact classes -> negative-prompt terms, for regenerating a flagged image.

The result fits CLIP's 77-token window (what Stable Diffusion's text encoder reads; the rest
would be cut off silently): tokens are counted with instant-clip-tokenizer, CLIP's own
vocabulary compiled into a wheel that needs no download (the `feedback` extra), or, where it
is not installed, bounded safely by the UTF-8 bytes of the non-space characters (CLIP's
byte-level BPE makes at most one token per byte).
"""

from __future__ import annotations

from functools import lru_cache

from artifactsdk.taxonomy import BY_KEY

CLIP_WINDOW = 77  # tokens, the start and end markers included
MAX_TOKENS = CLIP_WINDOW - 2


@lru_cache(maxsize=1)
def _tokenizer():
    try:
        from instant_clip_tokenizer import Tokenizer
    except ImportError:
        return None
    return Tokenizer()


def clip_tokens(text: str) -> int:
    """CLIP's tokens for `text` (markers not counted): exact, or a safe upper bound."""
    tokenizer = _tokenizer()
    if tokenizer is None:
        return sum(len(character.lower().encode()) for character in text if not character.isspace())
    return len(tokenizer.encode(text))


def negative_prompt(detection, base: str = "") -> str:
    """The taxonomy's prompts for each class the detection labels (best first), appended to
    `base` (an existing negative prompt, kept whole), comma-separated, each term once, as
    many as fit CLIP's 77 tokens. Without labels the result is `base`."""
    terms = [term.strip() for term in base.split(",") if term.strip()]
    for key in detection.labels:
        for prompt in BY_KEY[key].prompts:
            if prompt not in terms and clip_tokens(", ".join([*terms, prompt])) <= MAX_TOKENS:
                terms.append(prompt)
    return ", ".join(terms)
