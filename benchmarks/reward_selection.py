"""Best-of-N selection quality on rated generated images (AGIQA-3K): for every prompt
rendered by at least `--min-candidates` generator settings, pick the image with the best
reward and compare the human MOS of the picks with a random pick (the prompt's mean MOS)
and the best possible pick (its highest MOS).

    python -m artifactsdk.benchmarks.reward_selection --data ../shared/data/agiqa3k-dev --json out/selection.json

Figures are given for all prompts, and separately for the held-out prompts (the 35 % of
prompts the shipped image score was not tuned on, training.recipe) and the tuning ones.
The variance of the Laplacian (sharpest image wins) is the no-learning baseline.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import click
import numpy as np

from artifactsdk.benchmarks.output import print_and_save
from artifactsdk.progress import Progress
from artifactsdk.reward import ArtifactReward
from artifactsdk.training.real_data import read_ratings, split_by_prompt
from artifactsdk.training.baselines import laplacian_variance
from artifactsdk.training.recipe_sets import RATINGS_HELDOUT_FRACTION


def score_images(folder: Path, names: list[str], reward: ArtifactReward, quiet: bool) -> dict[str, dict]:
    """name -> the rewards of every reduce and the sharpness baseline."""
    others = {reduce: ArtifactReward(detector=reward.detector, reduce=reduce) for reduce in ("score", "area")}
    scores = {}
    with Progress("scoring", len(names), quiet) as bar:
        for start in range(0, len(names), reward.batch_size):
            chunk = names[start:start + reward.batch_size]
            _, info = reward([folder / name for name in chunk])
            for name, detection in zip(chunk, info["detections"]):
                scores[name] = {reduce: other.reward_of(detection) for reduce, other in others.items()}
                scores[name]["laplacian_variance"] = laplacian_variance(detection.image)
            bar.advance(len(chunk))
    return scores


def selection_figures(groups: list[list[tuple[float, dict]]], selector: str) -> dict:
    """Mean MOS of the pick by `selector` (highest value), of a random pick and of the best pick, over prompts."""
    picked, random_pick, best, hits, ties = [], [], [], 0.0, 0
    for candidates in groups:
        mos = np.array([m for m, _ in candidates])
        values = np.array([scores[selector] for _, scores in candidates])
        tied = values == values.max()  # ties (e.g. several images with no detected area) are broken at random:
        picked.append(mos[tied].mean())  # the expected MOS of the pick
        random_pick.append(mos.mean())
        best.append(mos.max())
        hits += float((mos[tied] == mos.max()).mean())
        ties += int(tied.sum() > 1)
    picked, random_pick, best = (float(np.mean(v)) for v in (picked, random_pick, best))
    return {"prompts": len(groups), "mean_mos_pick": round(picked, 4), "mean_mos_random": round(random_pick, 4),
            "mean_mos_best": round(best, 4),
            "share_of_possible_gain": round((picked - random_pick) / (best - random_pick), 4),
            "picked_the_best": round(hits / len(groups), 4), "prompts_with_tied_best": ties}


@click.command()
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="A folder with mos.csv and images/ (AGIQA-3K layout).")
@click.option("--min-candidates", type=click.IntRange(min=2), default=3, show_default=True)
@click.option("--bundle", default="default", show_default=True)
@click.option("--threads", type=click.IntRange(min=1))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True)
def main(data, min_candidates, bundle, threads, json_path, quiet):
    ratings = [r for r in read_ratings(data / "mos.csv") if r.prompt]
    by_prompt = defaultdict(list)
    for rating in ratings:
        by_prompt[rating.prompt].append(rating)
    kept = {prompt: group for prompt, group in by_prompt.items() if len(group) >= min_candidates}
    names = sorted(r.name for group in kept.values() for r in group)
    started = time.perf_counter()
    with ArtifactReward(bundle, threads=threads) as reward:
        scores = score_images(data / "images", names, reward, quiet)
    seconds = time.perf_counter() - started
    _, heldout = split_by_prompt(ratings, RATINGS_HELDOUT_FRACTION)
    heldout_prompts = {r.prompt for r in heldout}
    report = {"data": str(data), "bundle": bundle, "min_candidates": min_candidates,
              "prompts_with_ratings": len(by_prompt), "images_scored": len(names),
              "scoring_seconds": round(seconds, 1), "subsets": {}}
    subsets = {"all": list(kept), "heldout": [p for p in kept if p in heldout_prompts],
               "tuning": [p for p in kept if p not in heldout_prompts]}
    for subset, prompts in subsets.items():
        groups = [[(r.mos, scores[r.name]) for r in sorted(kept[p], key=lambda r: r.name)] for p in prompts]
        report["subsets"][subset] = {selector: selection_figures(groups, selector)
                                     for selector in ("score", "area", "laplacian_variance")}
    print_and_save(report, json_path)


if __name__ == "__main__":
    main()
