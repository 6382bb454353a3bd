"""How the built-in restorer's weights were made (run: python -m artifactsdk.training.restorer_recipe).

Training pairs come from the synthetic engine (artifactsdk.training, so this recipe
needs the `train` extra): each sample's ground-truth mask goes through the same
planning as a real repair (grown hole, context windows, working size), giving
(window with artifacts, hole, clean window) triples. A small U-Net learns to restore
the hole, with a loss on the hole pixels only. The seeds differ from every evaluation
seed used in this project's notes.

The shipped weights were made in two stages on 331 windows from 400 samples (seed 777000),
single-threaded on the shared CPU (about 25 minutes in all):
    python -m artifactsdk.training.restorer_recipe --count 400 --steps 400
    python -m artifactsdk.training.restorer_recipe --steps 500 --seed 777001 --max-lr 1e-3 \
        --start stage1.pt --out stage2.pt        # stopped at step 400 (the last checkpoint)
"""

from __future__ import annotations

import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
import numpy as np

from artifactsdk.rectify.inpainters.diffusion import harmonic_fill
from artifactsdk.rectify.inpainters.restorer import FILL_SWEEPS, RestorerInpainter
from artifactsdk.rectify.zoom_in import plan, working_crops

CROP = 128


def window_triples(seed: int, index: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(image, hole, clean) at working size for every context window of one synthetic sample."""
    # imports scipy: only when this runs
    from artifactsdk.training.synth.engine import SynthConfig, generate_sample

    sample = generate_sample(seed, index, SynthConfig(size=512))
    if not sample.mask.any():
        return []
    where = plan(sample.mask > 0, sample.mask.shape)
    painter = RestorerInpainter
    return [(image, hole, clean) for image, hole, clean in
            (working_crops(sample.image, where.hole, window, painter, sample.clean) for window in where.windows)]


def make_pairs(seed: int, count: int, workers: int) -> list:
    triples = []
    with ProcessPoolExecutor(workers) as pool:
        for done, found in enumerate(pool.map(window_triples, [seed] * count, range(count), chunksize=4), 1):
            triples.extend(found)
            if sys.stderr.isatty():
                sys.stderr.write(f"\rpairs {done}/{count}")
    return triples


def random_batch(triples, rng: np.random.Generator, size: int):
    """A batch of CROPxCROP crops holding hole pixels, randomly flipped, as float tensors."""
    import torch

    images, holes, cleans = [], [], []
    for index in rng.integers(0, len(triples), size):
        image, hole, clean = (_pad_to(a, CROP) for a in triples[index])
        ys, xs = np.nonzero(hole)
        pick = rng.integers(0, len(ys))
        y0 = int(np.clip(ys[pick] - rng.integers(0, CROP), 0, hole.shape[0] - CROP))
        x0 = int(np.clip(xs[pick] - rng.integers(0, CROP), 0, hole.shape[1] - CROP))
        crop = [a[y0:y0 + CROP, x0:x0 + CROP] for a in (image, hole, clean)]
        if rng.random() < 0.5:
            crop = [a[:, ::-1] for a in crop]
        if rng.random() < 0.5:
            crop = [a[::-1] for a in crop]
        images.append(crop[0]), holes.append(crop[1]), cleans.append(crop[2])

    def tensor(arrays, scale):
        stacked = np.ascontiguousarray(np.stack(arrays))
        value = torch.from_numpy(stacked).float() / scale
        return value.permute(0, 3, 1, 2) if value.ndim == 4 else value[:, None]

    return tensor(images, 255.0), tensor(holes, 1.0), tensor(cleans, 255.0)


def _pad_to(array: np.ndarray, side: int) -> np.ndarray:
    extra_y, extra_x = max(0, side - array.shape[0]), max(0, side - array.shape[1])
    if not (extra_y or extra_x):
        return array
    widths = ((0, extra_y), (0, extra_x)) + ((0, 0),) * (array.ndim - 2)
    return np.pad(array, widths, mode="symmetric" if array.dtype != bool else "constant")


def train(triples, steps: int, batch: int, seed: int, out: Path, start: Path | None = None,
          max_lr: float = 2e-3) -> None:
    import torch

    # imports torch: only when this runs
    from artifactsdk.models.restorer import RestorerNet

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    network = RestorerNet()
    if start is not None:
        network.load_state_dict(torch.load(start, map_location="cpu", weights_only=True))
    optimizer = torch.optim.Adam(network.parameters(), lr=max_lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps, pct_start=0.05)
    started, running = time.perf_counter(), None
    for step in range(1, steps + 1):
        image, hole, clean = random_batch(triples, rng, batch)
        with torch.no_grad():
            fill = harmonic_fill(image, hole, FILL_SWEEPS)
        restored = network(image, hole, fill)
        weight = hole.sum().clamp(min=1.0) * 3
        loss = (((restored - clean) ** 2) * hole).sum() / weight + 0.1 * ((restored - clean).abs() * hole).sum() / weight
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 50 == 0 or step == steps:
            print(f"step {step}/{steps} loss {running:.5f} {time.perf_counter() - started:.0f}s", flush=True)
            torch.save(network.state_dict(), out)


@click.command()
@click.option("--seed", default=777000, show_default=True)
@click.option("--count", default=900, show_default=True, help="Synthetic samples to draw windows from.")
@click.option("--steps", default=1500, show_default=True)
@click.option("--batch", default=12, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=1, show_default=True, help="torch CPU threads for training.")
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), default=Path("out/restorer_pairs.pkl"),
              show_default=True, help="Cache of the generated pairs (made when missing).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Weights file (default: the shipped one).")
@click.option("--start", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Continue from these weights (a second stage with a fresh schedule).")
@click.option("--max-lr", default=2e-3, show_default=True)
def main(seed, count, steps, batch, workers, threads, pairs_path, out, start, max_lr):
    import torch

    # imports torch: only when this runs
    from artifactsdk.models.restorer import shipped_restorer

    torch.set_num_threads(threads)
    if pairs_path.is_file():
        triples = pickle.loads(pairs_path.read_bytes())
    else:
        triples = make_pairs(seed, count, workers)
        pairs_path.parent.mkdir(parents=True, exist_ok=True)
        pairs_path.write_bytes(pickle.dumps(triples))
    print(f"{len(triples)} windows", flush=True)
    train(triples, steps, batch, seed, out or shipped_restorer(), start, max_lr)


if __name__ == "__main__":
    main()
