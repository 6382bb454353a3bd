"""The JSON a benchmark script prints, also written to --json FILE when given."""

from __future__ import annotations

import json
from pathlib import Path

import click


def print_and_save(document: dict, path: Path | None) -> None:
    text = json.dumps(document, indent=2)
    click.echo(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
