"""The JSON a benchmark script prints, also written to --json FILE when given."""

from __future__ import annotations

import json
from pathlib import Path

import click


def save_json(document: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def print_and_save(document: dict, path: Path | None) -> None:
    click.echo(json.dumps(document, indent=2))
    if path is not None:
        save_json(document, path)
