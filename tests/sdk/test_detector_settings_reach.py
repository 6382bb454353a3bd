"""A detector option is declared once, in DetectorSettings, and reaches every command that
loads a Detector, the server, the reward and the scan's Ray actors (issue 25)."""

import dataclasses
import importlib
import inspect
import json
import typing

import pytest

from artifactsdk.cli import COMMANDS
from artifactsdk.detector import Detector
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.reward import ArtifactReward

FIELDS = [field.name for field in dataclasses.fields(DetectorSettings)]
# A value other than the default for every field: a new field needs one here.
CHANGED = {"bundle": "elsewhere", "backend": "ort-cpu", "precision": "int8", "threads": 1, "mode": "cascade",
           "thresholds": {"decision": 0.4}, "max_pixels": 10**6, "max_side": 2048, "reduced_decode": True,
           "trusted_keys": ("/keys/release.pub.pem",), "cache_dir": "/cache"}
# Commands that set a field from an option of their own, which also means more than the detector's.
OWN_OPTIONS = {
    "eval": {"bundle", "precision"},  # --bundle / --precision also choose what --data scores
    "bench": {"backend", "precision"},  # swept: --backends and --precision are lists
}
LOADERS = {"detect", "scan", "serve", "fix", "eval-fix", "rank", "eval", "bench"}


def nests_detector_settings(value) -> bool:
    return (isinstance(value, type) and dataclasses.is_dataclass(value)
            and DetectorSettings in typing.get_type_hints(value).values())


def command_of(name: str):
    module_name, attribute = COMMANDS[name][0].split(":")
    module = importlib.import_module(module_name)
    return module, getattr(module, attribute)


def loads_a_detector(module) -> bool:
    """The command module holds a Detector, a reward, or settings with a DetectorSettings nested."""
    return any(value in (Detector, ArtifactReward) or nests_detector_settings(value) for value in vars(module).values())


def test_the_commands_that_load_a_detector_are_found():
    assert {name for name in COMMANDS if loads_a_detector(command_of(name)[0])} == LOADERS


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_every_detector_setting_is_an_option_of_every_command_that_loads_one(name):
    _, command = command_of(name)
    options = {param.name for param in command.params}
    missing = [field for field in FIELDS
               if field not in OWN_OPTIONS.get(name, ()) and f"detector__{field}" not in options]
    assert not missing, f"'artifactsdk {name}' has no option for DetectorSettings.{missing}"


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_no_command_that_loads_a_detector_takes_more_than_ten_parameters(name):
    _, command = command_of(name)
    assert len(inspect.signature(command.callback).parameters) <= 10


def test_every_field_has_a_changed_value_here():
    assert sorted(CHANGED) == sorted(FIELDS)


def test_the_server_carries_every_setting_to_its_workers(monkeypatch):
    from artifactsdk.serve import ServerSettings

    assert typing.get_type_hints(ServerSettings)["detector"] is DetectorSettings
    assert not set(FIELDS) & {field.name for field in dataclasses.fields(ServerSettings)}
    sent = ServerSettings(DetectorSettings(**CHANGED))
    monkeypatch.delenv("ARTIFACTSDK_SERVE_SETTINGS", raising=False)
    sent.to_environment()
    assert ServerSettings.from_environment() == sent
    json.dumps(dataclasses.asdict(sent))  # what travels is JSON


def test_the_ray_actors_and_the_bench_take_the_settings_nested():
    from artifactsdk.benchmarks.run import BenchSettings
    from artifactsdk.scan.ray_engine import RayOptions, ScanActor, scan_ray

    for settings in (RayOptions, BenchSettings):
        assert not set(FIELDS) & {field.name for field in dataclasses.fields(settings)}
    assert typing.get_type_hints(ScanActor.__init__)["detector"] is DetectorSettings
    assert typing.get_type_hints(scan_ray)["detector"] is DetectorSettings


def test_the_reward_and_load_take_the_settings_or_any_field_as_a_keyword(tiny_bundle):
    parameters = inspect.signature(ArtifactReward).parameters
    assert "DetectorSettings" in str(parameters["detector"].annotation)
    assert [p.kind for p in parameters.values()][-1] is inspect.Parameter.VAR_KEYWORD
    settings = DetectorSettings(tiny_bundle, precision="fp32", threads=1, max_side=2048, reduced_decode=True)
    with ArtifactReward(settings) as reward:
        assert reward.detector.settings == settings
    with ArtifactReward(tiny_bundle, precision="fp32", threads=1, max_side=2048, reduced_decode=True) as reward:
        assert reward.detector.settings == settings
    with Detector.load(settings, mode="cascade") as detector:
        assert detector.settings == dataclasses.replace(settings, mode="cascade")
