"""Command-line options that fill settings dataclasses, so an option is declared once.

A command declares each option with ``settings_option(ExportSettings, "int8.min_sqnr_db",
"--min-sqnr", help=...)``: the dotted path of the field it fills, whose dataclass default
becomes the option's default. ``build_settings(ExportSettings, params)`` then builds the
settings object from what click parsed. A new option is one field and one
``settings_option``; the same dataclasses are the Python API.
"""

from __future__ import annotations

import dataclasses
import os
import typing

import click

from artifactsdk.bundle import resolve_bundle_dir
from artifactsdk.errors import BundleError, InvalidInputError, MissingDependencyError
from artifactsdk.signing import load_public_key

TRUSTED_KEYS_VARIABLE = "ARTIFACTSDK_TRUSTED_KEYS"  # key files joined by os.pathsep, for services
SEPARATOR = "__"  # click parameter names are identifiers: "int8.min_sqnr_db" -> "int8__min_sqnr_db"


class CommaList(click.ParamType):
    """"a,b" -> ("a", "b"): items converted by `item` (str, int ...), optionally from `choices`."""

    name = "LIST"

    def __init__(self, item=str, choices: tuple[str, ...] | None = None):
        self.item, self.choices = item, choices

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            items = tuple(self.item(part.strip()) for part in str(value).split(",") if part.strip())
        except ValueError:
            items = ()
        bad = [item for item in items if self.choices is not None and item not in self.choices]
        if bad or not items:
            expected = ", ".join(self.choices) if self.choices else f"{self.item.__name__} values"
            self.fail(f"expected a comma-separated list of {expected}; found {value!r}", param, ctx)
        return items


def parse_shape(text: str) -> tuple[int, ...]:
    """'1x3x512x512' -> (1, 3, 512, 512)."""
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise InvalidInputError(f"a shape is four positive integers joined by 'x' (NxCxHxW, e.g. 1x3x512x512), "
                                f"got {text!r}.")
    return shape


class Shape(click.ParamType):
    """"1x3x512x512" -> (1, 3, 512, 512)."""

    name = "NxCxHxW"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            return parse_shape(value)
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


class BundleArgument(click.ParamType):
    """'default' (the bundle shipped in the package) or a bundle directory that exists;
    the value is kept as given."""

    name = "BUNDLE"

    def convert(self, value, param, ctx):
        try:
            resolve_bundle_dir(value)
        except BundleError as exc:
            self.fail(str(exc), param, ctx)
        return value


def _checked_keys(ctx, param, value) -> tuple[str, ...] | None:
    """None (no signature required) or the key files as absolute paths (server workers and
    Ray actors read them from another working folder), each checked to be an Ed25519 key."""
    if not value:
        return None
    for key in value:
        try:
            load_public_key(key)
        except (BundleError, MissingDependencyError) as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
    return tuple(os.path.abspath(key) for key in value)


# --key PUBLIC_KEY (repeatable, or $ARTIFACTSDK_TRUSTED_KEYS): refuse a bundle none of these keys signed
TRUSTED_KEYS_ATTRS = {
    "multiple": True, "type": click.Path(dir_okay=False), "envvar": TRUSTED_KEYS_VARIABLE, "show_envvar": True,
    "callback": _checked_keys,
    "help": "Trusted Ed25519 public key (PEM; repeatable): refuse a bundle none of them signed (manifest.json.sig). "
            f"${TRUSTED_KEYS_VARIABLE} lists key files separated by '{os.pathsep}'."}


def trusted_keys_option():
    """--key for a command that opens a bundle without a Detector; fills the parameter `trusted_keys`."""
    return click.option("--key", "trusted_keys", **TRUSTED_KEYS_ATTRS)


def field_default(cls, path: str):
    """The default of the dataclass field at dotted `path` (nested dataclasses built with theirs)."""
    head, _, rest = path.partition(".")
    field = {f.name: f for f in dataclasses.fields(cls)}[head]
    if rest:
        return field_default(typing.get_type_hints(cls)[head], rest)
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()


def settings_option(cls, path: str, *param_decls: str, **attrs):
    """A click option whose value becomes field `path` of dataclass `cls`; its default is the field's
    unless `attrs` gives one."""
    default = attrs.setdefault("default", field_default(cls, path))
    if attrs.get("is_flag"):  # a flag's default is its absence
        attrs.setdefault("show_default", False)
    attrs.setdefault("show_default", ",".join(map(str, default)) if isinstance(default, tuple) else default is not None)
    if attrs["show_default"] == "":  # an empty list: nothing worth showing
        attrs["show_default"] = False
    return click.option(*param_decls, path.replace(".", SEPARATOR), **attrs)


def build_settings(cls, params: dict):
    """An instance of dataclass `cls` from `params` (field paths joined by SEPARATOR);
    nested dataclass fields are built the same way, absent fields keep their defaults."""
    hints = typing.get_type_hints(cls)
    direct, nested = {}, {}
    for name, value in params.items():
        head, _, rest = name.partition(SEPARATOR)
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    fields = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted((set(direct) | set(nested)) - fields)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
    for name, values in nested.items():
        direct[name] = build_settings(hints[name], values)
    return cls(**direct)
