"""The peers at tiny sizes: same architectures and code paths as the full ones, small configs."""

import json

import pytest
import torch
from click.testing import CliRunner

from artifactsdk.benchmarks import peers, peers_cli
from artifactsdk.benchmarks.macs import count_macs

SIZE = 64


def test_full_size_configs_match_the_published_parameter_counts():
    with torch.device("meta"):
        pal_l = peers.pal_upernet_swin(512)
        pal_b = peers.pal_upernet_swin(512, peers.PAL_SWIN_B)
        segformer = peers.segformer_mit_b5()
    assert 231 < peers.parameters_m(pal_l) < 234  # UPerNet + Swin-L, 232 M (mmseg: 234 M with its auxiliary head)
    assert 119 < peers.parameters_m(pal_b) < 122  # UPerNet + Swin-B, ~120 M
    assert 83 < peers.parameters_m(segformer) < 86  # MiT-B5 (82 M) + all-MLP decoder


def test_torch_mac_count_equals_the_onnx_graph_count(tmp_path):
    model = peers.segformer_mit_b5(peers.TINY_MIT)
    onnx_path = peers.export_fixed_onnx(model, SIZE, tmp_path / "segformer.onnx")
    assert peers.torch_macs(model, SIZE) == count_macs(onnx_path).total


def test_pal_torchscript_returns_the_argmax_mask_at_input_resolution(tmp_path):
    pal = peers.pal_upernet_swin(SIZE, peers.TINY_SWIN, peers.TINY_HEAD, output="argmax")
    path = peers.trace_torchscript(pal, SIZE, tmp_path / "pal.pt")
    mask = torch.jit.load(str(path))(torch.randn(1, 3, SIZE, SIZE))
    assert mask.shape == (1, SIZE, SIZE) and mask.dtype == torch.int64
    assert set(mask.unique().tolist()) <= {0, 1}


def test_peers_script_times_ours_and_both_peers(bench_bundle, tmp_path):
    result = CliRunner().invoke(peers_cli.main, [
        "--bundle", str(bench_bundle), "--size", "32", "--tiny", "--runs", "1", "--warmup", "0",
        "--workdir", str(tmp_path / "work"), "--json", str(tmp_path / "peers.json"), "--quiet"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "peers.json").read_text())["peers"]
    assert doc["ours"] == "segmenter ort-cpu int8"
    assert {(r["backend"], r["precision"]) for r in doc["ours_results"]} == {("ort-cpu", "fp32"), ("ort-cpu", "int8")}
    timed = {(r["model"], r["backend"]) for r in doc["results"]}
    assert timed == {("pal-upernet-swin-l", "torchscript"), ("pal-upernet-swin-b", "torchscript"),
                     ("segformer-mit-b5", "torch"),
                     ("segformer-mit-b5", "ort-cpu")}
    ours_p50 = next(r for r in doc["ours_results"] if r["precision"] == "int8")["latency"]["p50_ms"]
    for r in doc["results"]:
        assert r["ratio_vs_ours"] == pytest.approx(r["latency"]["p50_ms"] / ours_p50)
        assert r["gmacs"] > 0 and r["params_m"] > 0
    # the torch skip of the tiny bundle (no checkpoint) is reported, not hidden
    assert any(s["backend"] == "torch" for s in doc["skipped"])
