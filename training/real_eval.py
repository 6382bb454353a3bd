"""The runtime Detector on real images: how often it flags clean photographs, and how
its artifact_score ranks images against human quality ratings (MOS), next to a baseline
that learns nothing (the variance of the Laplacian: higher = sharper).

Reports are JSON-ready dicts. An image that cannot be read is reported on stderr,
listed under "failures" and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artifactsdk.errors import ArtifactSDKError, DatasetError, InvalidInputError
from artifactsdk.progress import Progress
from artifactsdk.training.real_data import image_files, read_ratings

MIN_GROUP_SIZE = 5  # groups with fewer images stay out of mean_within_group_spearman


@dataclass(frozen=True)
class ImageEntry:
    name: str
    path: Path
    group: str | None = None
    mos: float | None = None


@dataclass(frozen=True)
class ImageResult:
    entry: ImageEntry
    score: float  # the Detector's artifact_score
    area: float  # share of the pixels in detection.binary_mask()
    is_artifact: bool
    laplacian_variance: float | None = None

    def to_dict(self) -> dict:
        record = {"name": self.entry.name, "group": self.entry.group, "mos": self.entry.mos,
                  "score": self.score, "area": self.area, "is_artifact": self.is_artifact,
                  "laplacian_variance": self.laplacian_variance}
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

def laplacian_variance(pixels: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image (float, 0-255, ITU-R 601 luma)."""
    from PIL import Image
    from scipy import ndimage

    grey = np.asarray(Image.fromarray(pixels).convert("F"))
    return float(ndimage.laplace(grey).var(dtype=np.float64))


def measure(detector, entry: ImageEntry, sharpness: bool) -> ImageResult:
    """The Detector's figures for one image, and its Laplacian variance when `sharpness`
    (on the pixels the Detector analyses: the image's own size up to its max_side)."""
    decoded = detector.decode(entry.path)
    detection = detector.detect(decoded)
    return ImageResult(entry, float(detection.artifact_score), float(detection.binary_mask().mean()),
                       bool(detection.is_artifact), laplacian_variance(decoded.pixels) if sharpness else None)


def measure_all(detector, entries: list[ImageEntry], label: str, quiet: bool,
                sharpness: bool = False) -> tuple[list[ImageResult], list[dict]]:
    """(results, failures) over the entries. A failed image is reported on stderr and listed;
    DatasetError only when no image could be read."""
    results, failures = [], []
    with Progress(label, len(entries), quiet) as progress:
        for entry in entries:
            try:
                results.append(measure(detector, entry, sharpness))
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
    """scipy.stats.spearmanr / pearsonr's statistic; None when undefined (< 2 values or one constant)."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(function(x, y).statistic)


def auroc(split: AurocSplit, groups: np.ndarray, artifact_scores: np.ndarray) -> dict:
    """AUROC of `artifact_scores` separating the split's positive groups from its negative ones."""
    from sklearn.metrics import roc_auc_score

    check_split_groups(split, groups)
    positive = np.isin(groups, split.positives)
    chosen = positive | np.isin(groups, split.negatives)
    return {"positives": int(positive.sum()), "negatives": int((chosen & ~positive).sum()),
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


# -- reports ----------------------------------------------------------------------------------

def clean_photos_report(detector, folder: Path, worst: int = 10, quiet: bool = False) -> dict:
    """How often the Detector flags the photographs in `folder`, and the `worst` it scores highest."""
    entries = [ImageEntry(path.name, path) for path in image_files(folder)]
    results, failures = measure_all(detector, entries, "eval clean photos", quiet)
    highest = sorted(results, key=lambda result: result.score, reverse=True)[:worst]
    return {"images": len(results), "failed": len(failures),
            "flag_rate": float(np.mean([r.is_artifact for r in results])),
            "mean_area": float(np.mean([r.area for r in results])),
            "mean_artifact_score": float(np.mean([r.score for r in results])),
            "worst": [{"name": r.entry.name, "score": r.score, "area": r.area} for r in highest],
            "failures": failures, "per_image": [r.to_dict() for r in results]}


def mos_report(detector, entries: list[ImageEntry], splits: list[AurocSplit], quiet: bool = False) -> dict:
    """The Detector's -artifact_score and the Laplacian-variance baseline ranked against MOS."""
    groups = [entry.group for entry in entries]
    grouped = None not in groups
    if splits and not grouped:
        raise InvalidInputError("--auroc-groups compares groups; define them with a group column or from the names.")
    for split in splits:
        check_split_groups(split, groups)  # before the long run, not after it
    results, failures = measure_all(detector, entries, "eval MOS", quiet, sharpness=True)
    mos = np.array([r.entry.mos for r in results])
    scores = np.array([r.score for r in results])
    variances = np.array([r.laplacian_variance for r in results])
    group_array = np.array([r.entry.group for r in results]) if grouped else None
    detector_means = {"flag_rate": np.array([r.is_artifact for r in results], dtype=float),
                      "mean_area": np.array([r.area for r in results]), "mean_artifact_score": scores}
    report = {"listed": len(entries), "failed": len(failures),
              **ranking_figures(-scores, mos, detector_means, group_array, splits)}
    report["baseline_laplacian_variance"] = ranking_figures(
        variances, mos, {"mean_laplacian_variance": variances}, group_array, splits)
    report.update(failures=failures, per_image=[r.to_dict() for r in results])
    return report


# -- text -------------------------------------------------------------------------------------

def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_clean_photos(report: dict) -> str:
    lines = [f"clean photos: {report['images']} images ({report['failed']} failed), flag rate "
             f"{_number(report['flag_rate'])}, mean area {_number(report['mean_area'])}, "
             f"mean artifact_score {_number(report['mean_artifact_score'])}"]
    lines += [f"  {item['score']:.3f}  area {item['area']:.3f}  {item['name']}" for item in report["worst"]]
    return "\n".join(lines)


def format_mos(report: dict) -> str:
    lines = [f"MOS: {report['images']} of {report['listed']} images ({report['failed']} failed)"]
    for title, figures in (("detector -artifact_score", report),
                           ("baseline laplacian variance", report["baseline_laplacian_variance"])):
        lines.append(f"  {title}: spearman {_number(figures['spearman'])}, pearson {_number(figures['pearson'])}"
                     + (f", within-group spearman {_number(figures['mean_within_group_spearman'])}"
                        if "groups" in figures else ""))
        for text, result in figures.get("auroc", {}).items():
            lines.append(f"    auroc {_number(result['auroc'])}  {text} "
                         f"({result['positives']} vs {result['negatives']} images)")
    lines.append(f"  detector flag rate {_number(report['flag_rate'])}, mean area {_number(report['mean_area'])}")
    for group, figures in report.get("groups", {}).items():
        lines.append(f"    {group:<24} n {figures['n']:<5} spearman {_number(figures['spearman'])}  "
                     f"flag rate {_number(figures['flag_rate'])}  "
                     f"mean score {_number(figures['mean_artifact_score'])}")
    return "\n".join(lines)
