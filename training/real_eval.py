"""The runtime Detector on real images: how often it flags clean photographs, and how
its artifact_score ranks images against human quality ratings (MOS), next to the
training-free baselines (training.baselines: the Laplacian's variance, BRISQUE), overall,
per group and per left-out generator; and whether its verdicts explain themselves: the
share of flagged images with a region or a label, and a deletion test (filling the
detected regions must lower the score, and far more than filling the same mask moved to
random places; DELETION_FILLS says with what).

Reports are JSON-ready dicts. An image that cannot be read is reported on stderr,
listed under "failures" and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artifactsdk.errors import ArtifactSDKError, DatasetError, InvalidInputError, MissingDependencyError
from artifactsdk.progress import Progress
from artifactsdk.training.baselines import BASELINES
from artifactsdk.training.real_data import generator_of, image_files, read_ratings

MIN_GROUP_SIZE = 5  # groups with fewer images stay out of mean_within_group_spearman
RANDOM_PLACEMENTS = 3  # the deletion test's random masks per flagged image
INPAINT_RADIUS = 5  # pixels around a filled region that Telea inpainting reads


@dataclass(frozen=True)
class ImageEntry:
    name: str
    path: Path
    group: str | None = None
    mos: float | None = None


@dataclass(frozen=True)
class Deletion:
    """A flagged image's score after filling its detected mask, and after filling the same
    mask moved to random places (mean over RANDOM_PLACEMENTS)."""
    detected: float
    random: float


@dataclass(frozen=True)
class ImageResult:
    entry: ImageEntry
    score: float  # the Detector's artifact_score
    area: float  # share of the pixels in detection.binary_mask()
    is_artifact: bool
    explained: bool  # has a region or a label
    baselines: dict[str, float]  # quality by each training-free method (higher = better)
    deletion: Deletion | None = None  # flagged images with a mask only

    def to_dict(self) -> dict:
        record = {"name": self.entry.name, "group": self.entry.group, "mos": self.entry.mos,
                  "score": self.score, "area": self.area, "is_artifact": self.is_artifact,
                  "explained": self.explained, **self.baselines}
        if self.deletion is not None:
            record.update(score_detected_filled=self.deletion.detected, score_random_filled=self.deletion.random)
        return {key: value for key, value in record.items() if value is not None}


@dataclass(frozen=True)
class AurocSplit:
    text: str
    positives: tuple[str, ...]  # the groups that should score as artifacts
    negatives: tuple[str, ...]


# -- inputs ---------------------------------------------------------------------------------

def mos_entries(csv_path: Path, images_dir: Path, name_column: str, mos_column: str,
                group_column: str | None = None, group_from_names: bool = False) -> list[ImageEntry]:
    """One entry per CSV row: the image `images_dir / name`, its MOS and its group (from
    `group_column`, from the file name, or none)."""
    ratings = read_ratings(csv_path, mos_column, name_column, group_column=group_column)
    grouped = bool(group_column) or group_from_names
    return [ImageEntry(r.name, images_dir / r.name, r.group if grouped else None, r.mos) for r in ratings]


def parse_auroc_split(text: str) -> AurocSplit:
    """'A+B:C+D' -> groups A and B (the artifact side) against groups C and D."""
    sides = text.split(":")
    if len(sides) != 2:
        raise InvalidInputError(f"--auroc-groups {text!r}: expected POSITIVES:NEGATIVES (one ':'), each side "
                                "a group or groups joined by '+', e.g. 'sd1.5_lowstep+midjourney_lowstep:"
                                f"sd1.5_normal+midjourney_normal'; found {len(sides) - 1} ':'.")
    positives, negatives = (tuple(group.strip() for group in side.split("+") if group.strip()) for side in sides)
    if not positives or not negatives:
        raise InvalidInputError(f"--auroc-groups {text!r}: each side of ':' needs at least one group.")
    shared = sorted(set(positives) & set(negatives))
    if shared:
        raise InvalidInputError(f"--auroc-groups {text!r}: {', '.join(shared)} is on both sides.")
    return AurocSplit(text, positives, negatives)


def check_split_groups(split: AurocSplit, groups) -> None:
    """InvalidInputError when the split names a group that is not among `groups`."""
    known = set(groups)
    unknown = [group for group in split.positives + split.negatives if group not in known]
    if unknown:
        raise InvalidInputError(f"--auroc-groups {split.text!r}: unknown group {', '.join(map(repr, unknown))}; "
                                f"groups with images: {', '.join(sorted(known))}.")


# -- measuring --------------------------------------------------------------------------------

def mean_coloured(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image with the pixels of `mask` set to its mean colour."""
    out = pixels.copy()
    out[mask] = pixels.reshape(-1, 3).mean(axis=0).round().astype(np.uint8)
    return out


def inpainted(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image with `mask` painted over from its surroundings (OpenCV's Telea inpainting):
    the region's content is gone and no flat patch or hard edge takes its place."""
    try:
        import cv2
    except ImportError:
        raise MissingDependencyError("opencv-python-headless", "eval", "The deletion test's inpainting fill") from None
    return cv2.inpaint(np.ascontiguousarray(pixels), mask.astype(np.uint8), INPAINT_RADIUS, cv2.INPAINT_TELEA)

# What the deletion test fills a region with. Inpainting is the default: chosen on the flagged
# training images (111 rated, 11 photographs; MODEL_CARD), where a flat fill (mean colour,
# grey) reads as a defect of its own and lowered the score on 58-62 % of them, a blur on 73 %
# (2.3x random), Telea inpainting on 73 % (2.4x).
DELETION_FILLS = {"inpaint": inpainted, "mean": mean_coloured}
DEFAULT_FILL = "inpaint"


def deletion_test(detector, decoded, detection, name: str, fill: str) -> Deletion | None:
    """Scores with the detected mask filled, and with that mask rolled to random offsets
    (seeded by the name: the same figures every run); None when the mask is empty."""
    mask = detection.binary_mask()
    if not mask.any():
        return None
    rng = np.random.default_rng(int.from_bytes(name.encode("utf-8")[-8:], "little"))
    height, width = mask.shape
    moved = [np.roll(mask, (int(rng.integers(height)), int(rng.integers(width))), axis=(0, 1))
             for _ in range(RANDOM_PLACEMENTS)]
    score = lambda m: float(detector.detect(DELETION_FILLS[fill](decoded.pixels, m)).artifact_score)  # noqa: E731
    return Deletion(score(mask), float(np.mean([score(m) for m in moved])))


def measure(detector, entry: ImageEntry, baselines: tuple[str, ...], fill: str) -> ImageResult:
    """The Detector's figures for one image, the deletion test when it is flagged, and the
    `baselines` (on the pixels the Detector analyses: the image's own size up to its max_side)."""
    decoded = detector.decode(entry.path)
    detection = detector.detect(decoded)
    deletion = deletion_test(detector, decoded, detection, entry.name, fill) if detection.is_artifact else None
    return ImageResult(entry, float(detection.artifact_score), float(detection.binary_mask().mean()),
                       bool(detection.is_artifact), bool(detection.regions or detection.labels),
                       {name: BASELINES[name](decoded.pixels) for name in baselines}, deletion)


def measure_all(detector, entries: list[ImageEntry], label: str, quiet: bool,
                fill: str, baselines: tuple[str, ...] = ()) -> tuple[list[ImageResult], list[dict]]:
    """(results, failures) over the entries. A failed image is reported on stderr and listed;
    DatasetError only when no image could be read."""
    results, failures = [], []
    with Progress(label, len(entries), quiet) as progress:
        for entry in entries:
            try:
                results.append(measure(detector, entry, baselines, fill))
            except Exception as exc:  # one bad file must not stop the run; report it and go on
                reason = str(exc) if isinstance(exc, ArtifactSDKError) else f"{entry.path}: {type(exc).__name__}: {exc}"
                failures.append({"name": entry.name, "error": reason})
                progress.note(f"skipped: {reason}", always=True)
            progress.advance()
    if not results:
        raise DatasetError(f"none of the {len(entries)} images could be read; see the errors above.")
    return results, failures


# -- figures ----------------------------------------------------------------------------------

def correlation(function, x: np.ndarray, y: np.ndarray) -> float | None:
    """scipy.stats.spearmanr / pearsonr's statistic over the pairs where both are finite (BRISQUE
    gives NaN for a few flat images); None when undefined (< 2 values or one constant)."""
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(function(x, y).statistic)


def auroc(split: AurocSplit, groups: np.ndarray, artifact_scores: np.ndarray) -> dict:
    """AUROC of `artifact_scores` separating the split's positive groups from its negative ones."""
    from sklearn.metrics import roc_auc_score

    check_split_groups(split, groups)
    positive = np.isin(groups, split.positives)
    chosen = (positive | np.isin(groups, split.negatives)) & np.isfinite(artifact_scores)
    return {"positives": int((chosen & positive).sum()), "negatives": int((chosen & ~positive).sum()),
            "auroc": float(roc_auc_score(positive[chosen], artifact_scores[chosen]))}


def ranking_figures(quality: np.ndarray, mos: np.ndarray, means: dict[str, np.ndarray],
                    groups: np.ndarray | None, splits: list[AurocSplit]) -> dict:
    """How `quality` (higher = better) ranks images against MOS, with the mean of each of
    `means`; per group and as AUROC of -quality between groups when groups are given."""
    from scipy.stats import pearsonr, spearmanr

    figures = {"images": len(mos), "spearman": correlation(spearmanr, quality, mos),
               "pearson": correlation(pearsonr, quality, mos)}
    figures.update({key: float(values.mean()) for key, values in means.items()})
    if groups is None:
        return figures
    per_group = {}
    for group in sorted(set(groups.tolist())):
        members = groups == group
        per_group[group] = {"n": int(members.sum()), "spearman": correlation(spearmanr, quality[members], mos[members]),
                            **{key: float(values[members].mean()) for key, values in means.items()}}
    within = [g["spearman"] for g in per_group.values() if g["n"] >= MIN_GROUP_SIZE and g["spearman"] is not None]
    figures["groups"] = per_group
    figures["mean_within_group_spearman"] = float(np.mean(within)) if within else None
    figures["auroc"] = {split.text: auroc(split, groups, -quality) for split in splits}
    return figures


def explanation_figures(results: list[ImageResult], fill: str) -> dict:
    """How the flagged images explain themselves: the share with a region or label, and
    the deletion test over those with a mask (score drops are artifact_score before minus
    after the fill; `ratio` = mean detected drop / mean random drop)."""
    flagged = [r for r in results if r.is_artifact]
    tested = [r for r in flagged if r.deletion is not None]
    figures = {"flagged": len(flagged),
               "explained_share": float(np.mean([r.explained for r in flagged])) if flagged else None}
    if tested:
        detected = np.array([r.score - r.deletion.detected for r in tested])
        random = np.array([r.score - r.deletion.random for r in tested])
        figures["deletion"] = {"fill": fill, "images": len(tested), "lowered_share": float(np.mean(detected > 0)),
                               "mean_drop_detected": float(detected.mean()), "mean_drop_random": float(random.mean()),
                               "ratio": float(detected.mean() / random.mean()) if random.mean() > 0 else None}
    return figures


def leave_one_group_out(qualities: dict[str, np.ndarray], mos: np.ndarray, groups: np.ndarray) -> dict:
    """Per generator (generator_of each group): every method's Spearman with MOS on that
    generator's images, and the mean over generators. For a head fitted without the
    generator (artifactsdk tune's folds) this is its leave-one-generator-out figure; the
    training-free baselines need no refit."""
    from scipy.stats import spearmanr

    generators = np.array([generator_of(str(group)) for group in groups])
    folds = {}
    for generator in sorted(set(generators.tolist())):
        members = generators == generator
        folds[generator] = {"images": int(members.sum()),
                            **{name: correlation(spearmanr, quality[members], mos[members])
                               for name, quality in qualities.items()}}
    means = {name: float(np.mean([f[name] for f in folds.values() if f[name] is not None]))
             for name in qualities}
    return {"folds": folds, "mean_spearman": means}


# -- reports ----------------------------------------------------------------------------------

def clean_photos_report(detector, folder: Path, worst: int = 10, quiet: bool = False,
                        fill: str = DEFAULT_FILL) -> dict:
    """How often the Detector flags the photographs in `folder`, the `worst` it scores
    highest, and how its flags explain themselves."""
    entries = [ImageEntry(path.name, path) for path in image_files(folder)]
    results, failures = measure_all(detector, entries, "eval clean photos", quiet, fill)
    highest = sorted(results, key=lambda result: result.score, reverse=True)[:worst]
    return {"images": len(results), "failed": len(failures),
            "flag_rate": float(np.mean([r.is_artifact for r in results])),
            "mean_area": float(np.mean([r.area for r in results])),
            "mean_artifact_score": float(np.mean([r.score for r in results])),
            "explanations": explanation_figures(results, fill),
            "worst": [{"name": r.entry.name, "score": r.score, "area": r.area} for r in highest],
            "failures": failures, "per_image": [r.to_dict() for r in results]}


def mos_report(detector, entries: list[ImageEntry], splits: list[AurocSplit], quiet: bool = False,
               baselines: tuple[str, ...] = tuple(BASELINES), by_generator: bool = False,
               fill: str = DEFAULT_FILL) -> dict:
    """The Detector's -artifact_score and each training-free baseline ranked against MOS;
    with `by_generator`, also per left-out generator (leave_one_group_out)."""
    groups = [entry.group for entry in entries]
    grouped = None not in groups
    if (splits or by_generator) and not grouped:
        raise InvalidInputError("--auroc-groups and --leave-one-group-out compare groups; define them with a "
                                "group column or from the names.")
    for split in splits:
        check_split_groups(split, groups)  # before the long run, not after it
    results, failures = measure_all(detector, entries, "eval MOS", quiet, fill, baselines)
    mos = np.array([r.entry.mos for r in results])
    scores = np.array([r.score for r in results])
    group_array = np.array([r.entry.group for r in results]) if grouped else None
    detector_means = {"flag_rate": np.array([r.is_artifact for r in results], dtype=float),
                      "mean_area": np.array([r.area for r in results]), "mean_artifact_score": scores}
    report = {"listed": len(entries), "failed": len(failures),
              **ranking_figures(-scores, mos, detector_means, group_array, splits),
              "explanations": explanation_figures(results, fill)}
    qualities = {name: np.array([r.baselines[name] for r in results]) for name in baselines}
    report["baselines"] = {name: ranking_figures(quality, mos, {}, group_array, splits)
                           for name, quality in qualities.items()}
    if by_generator:
        report["leave_one_group_out"] = leave_one_group_out({"detector": -scores, **qualities}, mos, group_array)
    report.update(failures=failures, per_image=[r.to_dict() for r in results])
    return report


# -- text -------------------------------------------------------------------------------------

def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_explanations(figures: dict) -> str:
    text = f"  flagged {figures['flagged']}, explained (a region or label) {_number(figures['explained_share'])}"
    deletion = figures.get("deletion")
    if deletion:
        text += (f"; deletion test on {deletion['images']}: score lowered on {_number(deletion['lowered_share'])}, "
                 f"mean drop {_number(deletion['mean_drop_detected'])} detected vs "
                 f"{_number(deletion['mean_drop_random'])} random (ratio {_number(deletion['ratio'])})")
    return text


def format_clean_photos(report: dict) -> str:
    lines = [f"clean photos: {report['images']} images ({report['failed']} failed), flag rate "
             f"{_number(report['flag_rate'])}, mean area {_number(report['mean_area'])}, "
             f"mean artifact_score {_number(report['mean_artifact_score'])}",
             format_explanations(report["explanations"])]
    lines += [f"  {item['score']:.3f}  area {item['area']:.3f}  {item['name']}" for item in report["worst"]]
    return "\n".join(lines)


def format_mos(report: dict) -> str:
    lines = [f"MOS: {report['images']} of {report['listed']} images ({report['failed']} failed)"]
    methods = [("detector -artifact_score", report),
               *((f"baseline {name}", figures) for name, figures in report["baselines"].items())]
    for title, figures in methods:
        lines.append(f"  {title}: spearman {_number(figures['spearman'])}, pearson {_number(figures['pearson'])}"
                     + (f", within-group spearman {_number(figures['mean_within_group_spearman'])}"
                        if "groups" in figures else ""))
        for text, result in figures.get("auroc", {}).items():
            lines.append(f"    auroc {_number(result['auroc'])}  {text} "
                         f"({result['positives']} vs {result['negatives']} images)")
    lines.append(f"  detector flag rate {_number(report['flag_rate'])}, mean area {_number(report['mean_area'])}")
    lines.append(format_explanations(report["explanations"]))
    for group, figures in report.get("groups", {}).items():
        lines.append(f"    {group:<24} n {figures['n']:<5} spearman {_number(figures['spearman'])}  "
                     f"flag rate {_number(figures['flag_rate'])}  "
                     f"mean score {_number(figures['mean_artifact_score'])}")
    folds = report.get("leave_one_group_out")
    if folds:
        names = list(folds["mean_spearman"])
        lines.append("  per generator (spearman): " + "  ".join(
            f"{name} {_number(value)}" for name, value in folds["mean_spearman"].items()) + "  (mean)")
        for generator, fold in folds["folds"].items():
            lines.append(f"    {generator:<24} n {fold['images']:<5} "
                         + "  ".join(f"{name} {_number(fold[name])}" for name in names))
    return "\n".join(lines)
