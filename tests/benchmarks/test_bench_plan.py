import shutil

from artifactsdk.benchmarks.plan import plan_bundle
from artifactsdk.bundle import Bundle
from artifactsdk.manifest import read_manifest, write_manifest


def test_a_precision_the_export_rejected_is_skipped_with_the_exports_reason(bench_bundle, tmp_path):
    bundle_dir = tmp_path / "bundle"
    shutil.copytree(bench_bundle, bundle_dir)
    manifest = read_manifest(bundle_dir)
    classifier = manifest["models"]["classifier"]
    del classifier["files"]["int8"]
    classifier["precision_fallback"] = {"int8": {"runs": "fp32", "reason": "int8 changed the labels"}}
    write_manifest(bundle_dir, manifest)
    plan = plan_bundle(Bundle.open(bundle_dir), ["classifier", "segmenter"], ["ort-cpu"], ["int8"], None, 1)
    assert [(s.model, s.precision) for s in plan.subjects] == [("segmenter", "int8")]
    [skipped] = plan.skipped
    assert skipped.model == "classifier" and "kept the classifier in fp32: int8 changed the labels" in skipped.reason
