"""The web detector against the Python runtime: run the exported module on images in a
page, and compare each record with `Detector.detect` on the same file."""

from __future__ import annotations

import base64

import numpy as np

# Runs loadDetector + detect over `names` (URLs relative to the page); masks come back as
# base64 bytes, 1 where the upsampled probability passes the pixel threshold.
DETECT_JS = """async ({ names, device }) => {
  const m = await import('./artifact-detector.js');
  const detector = await m.loadDetector({ device });
  const pack = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
  const out = [];
  for (const name of names) {
    const { record, mask } = await detector.detect(name);
    out.push({ record, mask: mask ? pack(Uint8Array.from(mask.data, (v) => (v >= record.pixel_threshold ? 1 : 0))) : null });
  }
  await detector.release();
  return out;
}"""


def browser_detections(page, names: list[str], device: str = "wasm") -> list[tuple[dict, np.ndarray | None]]:
    """(record, flat bool mask) per image, from the export served at the page's origin."""
    results = page.evaluate(DETECT_JS, {"names": names, "device": device})
    return [(r["record"], None if r["mask"] is None else np.frombuffer(base64.b64decode(r["mask"]), np.uint8) > 0)
            for r in results]


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool masks; 1.0 when both are empty (they agree)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def compare(record: dict, mask: np.ndarray | None, detection) -> dict:
    """How a browser record differs from the Python Detection of the same image."""
    python_mask = detection.binary_mask().reshape(-1)
    return {"same_labels": record["labels"] == list(detection.labels),
            "same_verdict": record["is_artifact"] == detection.is_artifact,
            "score_difference": abs(record["artifact_score"] - detection.artifact_score),
            "mask_iou": mask_iou(mask if mask is not None else np.zeros_like(python_mask), python_mask),
            "mask_pixels": int(python_mask.sum()),
            "same_captions": [r["caption"] for r in record["regions"]] == [r.caption for r in detection.regions]}
