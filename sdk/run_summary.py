"""The one summary of every command that processes many images (detect, scan on both
engines, rank, fix): the same keys everywhere, JSON on stdout with --json, a readable line
on stderr unless --quiet. Its JSON Schema is summary.schema.json (package data, beside the
detection record's detection.schema.json; `record_schema.json_schema` reads both)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import click

KEYS = ("processed", "flagged", "failed", "skipped", "seconds", "images_per_s", "output")


@dataclass(frozen=True)
class RunSummary:
    processed: int  # images with a result
    flagged: int  # of those, images with artifacts
    failed: int  # images that could not be processed (each reported)
    skipped: int  # images done by an earlier run (--resume)
    seconds: float  # the processing loop, without loading the models
    output: str | None  # where the results went (a folder, a file), None for stdout only
    details: dict = field(default_factory=dict)  # what only this command reports

    @property
    def images_per_s(self) -> float | None:
        return round(self.processed / self.seconds, 2) if self.seconds > 0 else None

    def to_dict(self) -> dict:
        summary = {"processed": self.processed, "flagged": self.flagged, "failed": self.failed,
                   "skipped": self.skipped, "seconds": round(self.seconds, 3), "images_per_s": self.images_per_s,
                   "output": self.output}
        return {**summary, "details": self.details} if self.details else summary

    def line(self) -> str:
        """The readable line: '8 images: 7 processed, 2 flagged, 1 failed; 12.5 images/s -> out'."""
        done = f", {self.skipped} already done" if self.skipped else ""
        where = f" -> {self.output}" if self.output else ""
        return (f"{self.processed + self.failed + self.skipped} images: {self.processed} processed, "
                f"{self.flagged} flagged, {self.failed} failed{done}; {self.images_per_s} images/s{where}")


def emit(summary: RunSummary, as_json: bool, quiet: bool, extra: dict | None = None) -> None:
    """The summary as one JSON object on stdout (with --json; `extra`: more top-level keys
    the schema allows, e.g. detect's records) and the readable line on stderr (unless quiet)."""
    if as_json:
        click.echo(json.dumps({**summary.to_dict(), **(extra or {})}))
    if not quiet:
        click.echo(summary.line(), err=True)
