"""The one small interface every inference backend implements.

Modelled on Polygraphy's runners: a backend is created cheaply, `activate()` loads the
model (and imports the backend's library, lazily), `run(feed)` maps named numpy inputs
to named numpy outputs, and `close()` frees it. Subclasses fill in the `_*_impl`
methods only; the checks shared by all backends live here.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artifactsdk.errors import InvalidInputError


@dataclass(frozen=True)
class ModelFile:
    """A verified model file and what the bundle says about it.

    `model` is the bundle manifest's entry for the model (input, outputs, source ...),
    `entry` the record of this one file (format, precision, sha256 ...).
    """

    path: Path | None  # None: a torch module made in memory (outside_bundle)
    variant: str
    entry: dict = field(repr=False)
    model: dict = field(repr=False)

    @classmethod
    def outside_bundle(cls, path: str | Path | None, format: str, input: dict | None = None,
                       outputs: tuple[str, ...] = (), precision: str = "unknown") -> "ModelFile":
        """A model no bundle describes (the exporter's graphs and torch reference, the
        checkpoints training evaluates, a benchmarked file): `input` (name, height, width) and
        `outputs` (names) say what a manifest would. Without `outputs`, a backend returns
        every output the model has, in its order."""
        path = None if path is None else Path(path)
        entry = {"path": path.name if path else None, "format": format, "precision": precision}
        return cls(path, precision, entry, {"task": "unknown", "input": input or {},
                                             "outputs": [{"name": name} for name in outputs]})

    @property
    def format(self) -> str:
        return self.entry["format"]

    @property
    def precision(self) -> str:
        return self.entry["precision"]

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(output["name"] for output in self.model["outputs"])


@dataclass(frozen=True)
class TensorMeta:
    """Name, shape (an int per fixed dimension, a string or None per dynamic one) and dtype."""

    name: str
    shape: tuple
    dtype: str

    @property
    def dynamic_batch(self) -> bool:
        return not isinstance(self.shape[0], int) if self.shape else False

    def to_dict(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


class Backend(abc.ABC):
    """Runs one model file. `run` may be called from many threads at once once active."""

    #: the registry name, e.g. "ort-cpu"
    name: str = ""
    #: "cpu" or "gpu": decides which precision "auto" picks
    device: str = "cpu"
    #: the largest batch one run takes (None: any, when the model's batch axis is dynamic)
    max_batch: int | None = None

    def __init__(self, model: ModelFile, *, threads: int | None = None, cache_dir: Path | None = None):
        """`threads`: intra-op threads (None = the library's default); `cache_dir`: where a
        backend that compiles the model (TensorRT) keeps what it built."""
        self.model = model
        self.threads = threads
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.is_active = False

    # -- lifecycle ---------------------------------------------------------------------------
    def activate(self) -> "Backend":
        if not self.is_active:
            self._activate_impl()
            self.is_active = True
        return self

    def close(self) -> None:
        if self.is_active:
            self._close_impl()
            self.is_active = False

    def __enter__(self) -> "Backend":
        return self.activate()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- inference ---------------------------------------------------------------------------
    def run(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Named inputs -> named outputs (every output the model declares)."""
        if not self.is_active:
            raise RuntimeError(f"backend {self.name} is not active: call activate() first")
        expected = set(self.input_metadata())
        if set(feed) != expected:
            raise InvalidInputError(f"backend {self.name} expects inputs {sorted(expected)}, "
                                    f"got {sorted(feed)}")
        return self._run_impl(feed)

    def run_batch(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """`run` for a model with one input: its batch in, the named outputs out."""
        (name,) = self.input_metadata()
        return self.run({name: batch})

    def warmup(self, runs: int = 1, batch: int = 1) -> None:
        """Run zeros through the model so the first real request does not pay for set-up."""
        feed = {name: np.zeros(self._concrete_shape(meta, batch), dtype=np.float32)
                for name, meta in self.input_metadata().items()}
        for _ in range(runs):
            self.run(feed)

    def _concrete_shape(self, meta: TensorMeta, batch: int) -> tuple[int, ...]:
        spec = self.model.model["input"]
        fallback = {0: batch, 1: 3, 2: spec["height"], 3: spec["width"]}
        return tuple(dim if isinstance(dim, int) else fallback[axis] for axis, dim in enumerate(meta.shape))

    # -- metadata ----------------------------------------------------------------------------
    @abc.abstractmethod
    def input_metadata(self) -> dict[str, TensorMeta]:
        ...

    @abc.abstractmethod
    def output_metadata(self) -> dict[str, TensorMeta]:
        ...

    def describe(self) -> dict:
        """What runs: backend, device, file variant and precision (for logs, JSON and bench)."""
        return {"backend": self.name, "device": self.device, "variant": self.model.variant,
                "precision": self.model.precision, "file": self.model.path.name if self.model.path else None}

    # -- what subclasses fill in ------------------------------------------------------------
    @abc.abstractmethod
    def _activate_impl(self) -> None:
        ...

    @abc.abstractmethod
    def _run_impl(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ...

    def _close_impl(self) -> None:
        """Drop references to the loaded model; backends holding more override this."""
