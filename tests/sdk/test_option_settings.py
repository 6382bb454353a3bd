"""Options declared once: a click option fills a (nested) settings dataclass field."""

from dataclasses import dataclass, field

import click
import pytest
from click.testing import CliRunner

from artifactsdk.cli.option_settings import CommaList, build_settings, settings_option


@dataclass(frozen=True)
class Inner:
    level: int = 3
    names: tuple[str, ...] = ("a", "b")


@dataclass(frozen=True)
class Outer:
    rate: float = 0.5
    inner: Inner = field(default_factory=Inner)


def _command():
    @click.command()
    @settings_option(Outer, "rate", "--rate", type=float)
    @settings_option(Outer, "inner.level", "--level", type=int)
    @settings_option(Outer, "inner.names", "--names", type=CommaList())
    def command(**params):
        click.echo(repr(build_settings(Outer, params)))
    return command


def test_defaults_come_from_the_dataclass():
    result = CliRunner().invoke(_command(), [])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(Outer())
    help_text = CliRunner().invoke(_command(), ["--help"]).output
    assert "default: 0.5" in help_text and "default: 3" in help_text and "a,b" in help_text


def test_given_options_fill_nested_fields():
    result = CliRunner().invoke(_command(), ["--level", "7", "--names", "x, y", "--rate", "2"])
    assert result.output.strip() == repr(Outer(rate=2.0, inner=Inner(level=7, names=("x", "y"))))


def test_a_parameter_without_a_field_is_an_error():
    with pytest.raises(TypeError, match="no field inner__depth|no field depth"):
        build_settings(Outer, {"inner__depth": 1})
