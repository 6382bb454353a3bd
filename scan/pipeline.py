"""The scan's pipeline around one `Detector`: images read, hashed, decoded and
preprocessed in worker threads while the models run on full batches.

Pillow's decoding and resizing, numpy and ONNX Runtime release the GIL, so threads
overlap for real. Used by the local engine over a folder and by each Ray actor over the
batches Ray Data hands it; both get the same rows.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from artifactsdk.detection import Detection, DetectionFailure
from artifactsdk.result_folder import PARTIAL_SUFFIX, atomic_write
from artifactsdk.scan.rows import MEDIA_KINDS, content_hash, detection_row, error_row, media_folder


@dataclass(frozen=True)
class Item:
    """One image to scan: its name in the results and how to get its bytes."""

    source: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class _Ready:
    source: str
    digest: str
    data_bytes: int
    prepared: object  # artifactsdk.detector.PreparedImage


class MediaWriter:
    """Mask and overlay PNGs under the results folder, named by content hash (stable
    across --resume runs, one file per distinct image). Each is written to a hidden
    temporary file and renamed, so a killed scan leaves whole pictures or none."""

    def __init__(self, out: Path, mask: bool, overlay: bool):
        self.out, self.kinds = out, [kind for kind, wanted in zip(MEDIA_KINDS, (mask, overlay)) if wanted]
        for kind in self.kinds:
            folder = out / media_folder(kind)
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob(f".*{PARTIAL_SUFFIX}"):  # a killed run's (the --out lock is held)
                stale.unlink(missing_ok=True)

    def names(self, digest: str) -> dict[str, str]:
        return {kind: f"{media_folder(kind)}/{digest[:32]}.png" for kind in self.kinds}

    def write(self, detection, names: dict[str, str]) -> None:
        for kind, name in names.items():
            picture = detection.mask_image() if kind == "mask" else detection.overlay()
            atomic_write(self.out / name, lambda fh, picture=picture: picture.save(fh, format="PNG"))


class Scanner:
    """Rows for items: `workers` threads prepare images while `streams` threads run the
    models on batches of `batch_size` side by side (the Detector is thread-safe). Images
    whose (source, hash) is in `skip` are dropped after hashing (--resume). A row that
    names pictures comes out only once they are written, so no results file names a
    picture that is not whole."""

    def __init__(self, detector, workers: int, batch_size: int, skip: set | frozenset = frozenset(),
                 media: MediaWriter | None = None, streams: int = 1):
        self.detector, self.batch_size, self.skip, self.media = detector, batch_size, skip, media
        self.streams, self.skipped = streams, 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan-prepare")
        self._models = ThreadPoolExecutor(max_workers=streams, thread_name_prefix="scan-models")
        # images in flight: the next batches ready, every worker busy
        self._ahead = 2 * max(batch_size * streams, workers)
        self._pictures: deque[tuple[Future, dict]] = deque()  # (the pictures' write, their row), oldest first

    def rows(self, items: Iterable[Item]) -> Iterator[dict]:
        """One row per item not skipped, as soon as its batch is done (not in input order)."""
        batch: list[_Ready] = []
        running: deque[Future] = deque()  # model calls, oldest first
        for outcome in self._prepared(items):
            if outcome is None:
                self.skipped += 1
                continue
            if isinstance(outcome, dict):
                yield outcome
                continue
            batch.append(outcome)
            if len(batch) == self.batch_size:
                running.append(self._models.submit(self._detect, batch))
                batch = []
                while len(running) >= self.streams:
                    yield from self._rows(running.popleft().result())
        if batch:
            running.append(self._models.submit(self._detect, batch))
        while running:
            yield from self._rows(running.popleft().result())
        yield from self._pictured(every=True)

    def close(self) -> None:
        """Wait for the mask / overlay files and stop the threads."""
        while self._pictures:
            self._pictures.popleft()[0].exception()
        self._pool.shutdown()
        self._models.shutdown()

    def __enter__(self) -> "Scanner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _prepared(self, items: Iterable[Item]):
        pending: deque[Future] = deque()
        for item in items:
            pending.append(self._pool.submit(self._prepare, item))
            if len(pending) >= self._ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def _prepare(self, item: Item):
        """_Ready, an error row, or None for an image already in the results (a file that
        could not be read is keyed by its source and no hash: its error row is written once)."""
        digest = size = None
        try:
            data = item.read()
            digest, size = content_hash(data), len(data)
            if (item.source, digest) in self.skip:
                return None
            return _Ready(item.source, digest, size, self.detector.prepare(data, name=item.source))
        except Exception as exc:  # one bad file must not stop the scan: it becomes an error row
            if digest is None and (item.source, None) in self.skip:
                return None
            return error_row(item.source, digest, size, DetectionFailure.of(item.source, exc))

    def _detect(self, batch: list[_Ready]) -> list[tuple[_Ready, Detection | DetectionFailure]]:
        """(image, its Detection or DetectionFailure) for each image of the batch."""
        return list(zip(batch, self.detector.detect_prepared([ready.prepared for ready in batch])))

    def _rows(self, done: list[tuple[_Ready, Detection | DetectionFailure]]) -> Iterator[dict]:
        for ready, outcome in done:
            if isinstance(outcome, DetectionFailure):
                yield error_row(ready.source, ready.digest, ready.data_bytes, outcome)
                continue
            names = self.media.names(ready.digest) if self.media else {}
            row = detection_row(ready.source, ready.digest, ready.data_bytes, outcome, names)
            if not names:
                yield row
                continue
            self._pictures.append((self._pool.submit(self.media.write, outcome, names), row))
        yield from self._pictured()

    def _pictured(self, every: bool = False) -> Iterator[dict]:
        """Rows whose pictures are written, oldest first: those done, then (bounded, so
        detections are not kept alive) the oldest ones waited for; with `every`, all.
        A picture that could not be written makes its row an error row."""
        while self._pictures and (every or self._pictures[0][0].done() or len(self._pictures) > self._ahead):
            write, row = self._pictures.popleft()
            try:
                write.result()
            except Exception as exc:  # one failed write must not stop the scan
                failure = DetectionFailure.of(row["source"], exc)
                row = error_row(row["source"], row["content_hash"], row["file_bytes"], failure)
            yield row
