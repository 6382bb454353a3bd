"""The command-line options of a Detector: one per `DetectorSettings` field, declared here once.

A command that loads a Detector carries `@detector_options(Settings)`: each option fills
field `detector.<name>` of its settings dataclass `Settings` (whose `detector` field is a
DetectorSettings) and takes its default from there, and `build_settings` makes the nested
DetectorSettings. A command changes an option's flags, help or default with keywords
(`threads={"flags": ("--detector-threads",)}`), never by declaring it again.
"""

from __future__ import annotations

import dataclasses

import click

from artifactsdk.bundle import PRECISIONS
from artifactsdk.detector_settings import MODES, DetectorSettings
from artifactsdk.errors import InvalidInputError
from artifactsdk.image_io import MIN_SIDE
from artifactsdk.limits import max_threads, unit_interval
from artifactsdk.cli.option_settings import TRUSTED_KEYS_ATTRS, BundleArgument, build_settings, field_default, \
    settings_option
from artifactsdk.runtimes.registry import CHOICES as BACKEND_CHOICES

FIELD = "detector"  # the DetectorSettings field of a command's settings


class DecisionThreshold(click.ParamType):
    """A finite number in [0, 1] (click's FloatRange lets NaN through), which becomes the
    threshold overrides {"decision": number}."""

    name = "number in [0, 1]"

    def convert(self, value, param, ctx):
        if isinstance(value, dict):
            return value
        try:
            number = float(value)
        except ValueError:
            self.fail(f"{value!r} is not a number; give a finite number in [0, 1].", param, ctx)
        try:
            return {"decision": unit_interval(param.opts[0] if param else "value", number)}
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


# field -> its option's flags and click attributes
OPTIONS: dict[str, dict] = {
    "bundle": {"flags": ("--bundle",), "type": BundleArgument(), "help": "'default' or a bundle directory."},
    "backend": {"flags": ("--backend",), "type": click.Choice(BACKEND_CHOICES)},
    "precision": {"flags": ("--precision",), "type": click.Choice(PRECISIONS)},
    "threads": {"flags": ("--threads",), "type": click.IntRange(1, max_threads()),
                "help": f"Inference threads, at most {max_threads()} here (default: all cores)."},
    "mode": {"flags": ("--mode",), "type": click.Choice(MODES),
             "help": "cascade: run the segmenter only on images the classifier flags."},
    "thresholds": {"flags": ("--threshold",), "type": DecisionThreshold(),
                   "help": "artifact_score at which an image is flagged; 0.5 (default) = the models' tuned "
                           "thresholds, lower finds more."},
    "max_pixels": {"flags": ("--max-pixels",), "type": click.IntRange(min=1),
                   "help": "Refuse an image of more decoded pixels than this (default: no limit)."},
    "max_side": {"flags": ("--max-side",), "type": click.IntRange(min=MIN_SIDE),
                 "help": "Decode images scaled down to this longest side."},
    "reduced_decode": {"flags": ("--reduced-decode",), "is_flag": True,
                       "help": "Decode files of 4x the models' input side or more at reduced scale (JPEG draft, "
                               "PIL reduce): faster, scores move slightly; boxes stay in full-image pixels."},
    "trusted_keys": {"flags": ("--key",), **TRUSTED_KEYS_ATTRS},
    "cache_dir": {"flags": ("--cache-dir",), "type": click.Path(file_okay=False),
                  "help": "Where backends keep what they build (TensorRT engines; default: the user cache)."},
}


@dataclasses.dataclass(frozen=True)
class DetectorOnly:
    """The settings of a command whose only settings dataclass is its Detector's."""

    detector: DetectorSettings = dataclasses.field(default_factory=DetectorSettings)


def detector_settings(params: dict) -> DetectorSettings:
    """The DetectorSettings of a command decorated with `detector_options()` (its **params)."""
    return build_settings(DetectorOnly, params).detector


def detector_options(settings_cls=DetectorOnly, *, skip: tuple[str, ...] = (), **changes):
    """A decorator adding an option for each DetectorSettings field but `skip` (what the
    command decides itself) to a command whose settings dataclass `settings_cls` holds a
    DetectorSettings in its field `detector`. `changes`: field -> click attributes that
    differ for this command ("flags", "help", ...)."""
    defaults = field_default(settings_cls, FIELD)  # the command's DetectorSettings (ServerSettings' has max_pixels)

    def decorate(command):
        for field in reversed(dataclasses.fields(DetectorSettings)):  # a field without an option fails here
            name = field.name
            if name not in skip:
                attrs = {"default": getattr(defaults, name), **OPTIONS[name], **changes.get(name, {})}
                flags = attrs.pop("flags")
                command = settings_option(settings_cls, f"{FIELD}.{name}", *flags, **attrs)(command)
        return command

    return decorate

