"""What every command's --help and usage errors say (issue 24)."""

import re

import pytest
from click.testing import CliRunner

from artifactsdk.cli import COMMANDS, main

# a measurement of one machine: "23.9 images/s", "here: 32.5 s at 128", "1.8 GB instead of"
MEASURED = re.compile(r"images/s|here: \d|\d s at \d|\d GB")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_quotes_no_machines_numbers(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # help is wrapped: join its lines
    assert not MEASURED.search(text), MEASURED.search(text).group(0)


def test_threshold_out_of_range_says_its_message_once(tmp_path):
    result = CliRunner().invoke(main, ["detect", str(tmp_path), "--threshold", "2"])
    assert result.exit_code == 2
    assert result.output.count("finite number in [0, 1]") == 1, result.output
