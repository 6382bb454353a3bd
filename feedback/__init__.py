"""Feedback for generators: pick the best of N candidates by an ArtifactReward (from any
`generate(prompt, seed)` callable or a diffusers pipeline), turn a Detection into
negative-prompt terms, rank folders of images (`artifactsdk rank`).

    from artifactsdk.feedback import best_of_n, negative_prompt
    from artifactsdk.reward import ArtifactReward
    best = best_of_n(generate, "a cat", 8, ArtifactReward())   # best.image, best.rewards
"""

from artifactsdk.feedback.best_of_n import BestOfN, best_of_n
from artifactsdk.feedback.diffusers_pipeline import best_of_n_pipeline
from artifactsdk.feedback.negative_prompt import negative_prompt

__all__ = ["BestOfN", "best_of_n", "best_of_n_pipeline", "negative_prompt"]
