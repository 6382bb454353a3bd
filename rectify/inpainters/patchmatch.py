"""Coarse-to-fine exemplar inpainting in torch (Wexler et al. 2007, with PatchMatch search,
Barnes et al. 2009): every hole pixel is voted from known patches that match the patches
around it, so the fill copies real texture from the surroundings instead of a smooth blend.

On an image pyramid, from the coarsest level: a nearest-neighbour field maps each patch
touching the hole to a fully known patch (exhaustive search through `unfold` when the level
is small, else propagation + random search, all targets at once), the patches vote the hole
pixels, and a few such EM iterations run before the field is upsampled and votes the next
level's first fill (a bilinear upsample would start from a blur that then matches flat
patches). On the finest level each hole pixel finally takes its match's centre pixel.
Seeded, so the same input gives the same output."""

from __future__ import annotations

import numpy as np

import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.diffusion import harmonic_fill
from artifactsdk.rectify.inpainters.tensors import to_image, to_tensors

EXHAUSTIVE_PAIRS = 4_000_000   # target x source patch pairs below which a level is searched exhaustively
AXES = 16                      # search compares patches on this many principal axes
SAMPLE = 4096                  # known patches the axes are fitted to
COARSEST_SIDE = 24             # the pyramid stops before a level's shorter side drops below this


class PatchMatchInpainter(Inpainter):
    name = "patchmatch"
    working_size = 512
    upscale = False

    def __init__(self, patch: int = 5, iterations: int = 3, finest_iterations: int = 1, passes: int = 2,
                 seed: int = 0):
        self.patch, self.passes, self.seed = patch, passes, seed
        self.iterations = (iterations, finest_iterations)

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        torch = dependencies.torch()
        with torch.inference_mode():
            pixels, hole = to_tensors(image, mask, dependencies.resolve_device(device))
            generator = torch.Generator(device=pixels.device).manual_seed(self.seed)
            return to_image(exemplar_fill(pixels, hole, self.patch, self.iterations, self.passes, generator))


def exemplar_fill(pixels, hole, patch: int, iterations: tuple[int, int], passes: int, generator):
    """Fill hole (1 = unknown) of 1xCxHxW `pixels` with patches of its known part, with
    `iterations` = (EM iterations per coarser level, on the finest level): the finest level
    starts from a field that is already good and costs the most."""
    levels = _pyramid(pixels, hole)
    filled, field = None, None
    for number, (level_pixels, level_hole) in enumerate(levels, 1):
        if filled is None:
            filled = harmonic_fill(level_pixels, level_hole, 40)
        else:
            upsampled = _upsample(filled, level_pixels.shape[-2:])
            filled = level_pixels * (1 - level_hole) + upsampled * level_hole
        finest = number == len(levels)
        field = _Level(filled, level_hole, patch, generator).fill(field, iterations[finest], passes, finest)
        filled = field.pixels
    return filled


def _pyramid(pixels, hole) -> list:
    """(pixels, hole) per level, coarsest first; a coarse pixel is known if any pixel under it is."""
    functional = dependencies.torch().nn.functional
    levels = [(pixels, hole)]
    while min(levels[-1][0].shape[-2:]) >= 2 * COARSEST_SIDE:
        fine, fine_hole = levels[-1]
        weight = functional.avg_pool2d(1 - fine_hole, 2, ceil_mode=True)
        coarse = functional.avg_pool2d(fine * (1 - fine_hole), 2, ceil_mode=True) / weight.clamp(min=1e-6)
        levels.append((coarse, (weight == 0).float()))
    return levels[::-1]


def _upsample(pixels, size):
    functional = dependencies.torch().nn.functional
    return functional.interpolate(pixels, size=tuple(size), mode="bilinear", align_corners=False)


class _Level:
    """One pyramid level: the current fill, its patches, and the nearest-neighbour field
    (`source[i]` = flat index of the known patch matched to patch `i`; identity off target)."""

    def __init__(self, pixels, hole, patch: int, generator):
        torch = dependencies.torch()
        functional = torch.nn.functional
        self.torch, self.generator = torch, generator
        self.pixels, self.hole, self.patch = pixels, hole, patch
        self.height, self.width = pixels.shape[-2:]
        radius = patch // 2
        # a patch touching the hole is a target; one clear of it is a source (image edges replicate)
        touched = functional.max_pool2d(hole, patch, stride=1, padding=radius)[0, 0].flatten() > 0
        self.targets = touched.nonzero()[:, 0]
        self.valid = ~touched
        self.sources = self.valid.nonzero()[:, 0]
        self.source = torch.arange(self.height * self.width, device=pixels.device)
        self.cost = None

    def fill(self, coarse, iterations: int, passes: int, finest: bool) -> _Level:
        if len(self.sources) == 0 or len(self.targets) == 0:
            return self
        self._start(coarse)
        if coarse is not None:
            # the upsampled field carries the coarse texture: vote with it before searching
            self.cost = self.torch.zeros(len(self.targets), device=self.pixels.device)
            self.pixels = self._vote(self._features())
        exhaustive = len(self.targets) * len(self.sources) <= EXHAUSTIVE_PAIRS
        for _ in range(iterations):
            features = self._features()
            compact = self._compact(features)
            if exhaustive:
                self._search_all(compact)
            else:
                for _ in range(passes):
                    self._improve(compact)
            self.pixels = self._vote(features)
        if finest:
            self.pixels = self._copy_centres()
        return self

    def _copy_centres(self):
        """Each hole pixel copied from the centre of its match: voting averages overlapping
        patches and softens fine texture, which the detector reads as a blurred region."""
        flat = self.pixels.flatten(2).clone()
        flat[..., self.targets] = flat[..., self.source[self.targets]]
        return self.pixels * (1 - self.hole) + flat.view_as(self.pixels) * self.hole

    def _start(self, coarse) -> None:
        """The field upsampled from the coarser level, random where that gives no valid source."""
        torch = self.torch
        start = self._random(len(self.targets))
        if coarse is not None:
            y, x = self.targets // self.width, self.targets % self.width
            scale_y, scale_x = coarse.height / self.height, coarse.width / self.width
            coarse_index = ((y * scale_y).long().clamp(max=coarse.height - 1) * coarse.width
                            + (x * scale_x).long().clamp(max=coarse.width - 1))
            match = coarse.source[coarse_index]
            offset_y = (y - (coarse_index // coarse.width) / scale_y).round().long()
            offset_x = (x - (coarse_index % coarse.width) / scale_x).round().long()
            source_y = ((match // coarse.width) / scale_y).round().long() + offset_y
            source_x = ((match % coarse.width) / scale_x).round().long() + offset_x
            candidate, ok = self._checked(source_y, source_x)
            start = torch.where(ok, candidate, start)
        self.source[self.targets] = start

    def _features(self):
        """Every pixel's patch as a row: (H*W) x (C*patch*patch)."""
        functional = self.torch.nn.functional
        radius = self.patch // 2
        padded = functional.pad(self.pixels, (radius,) * 4, mode="replicate")
        return functional.unfold(padded, self.patch)[0].T

    def _compact(self, features):
        """Patches projected on the main axes of the known ones: search compares these few
        numbers instead of every pixel of a patch."""
        sample = features[self.sources[::max(1, len(self.sources) // SAMPLE)]]
        mean = sample.mean(dim=0)
        axes = self.torch.linalg.svd(sample - mean, full_matrices=False).Vh[:AXES]
        return (features - mean) @ axes.T

    def _search_all(self, features) -> None:
        distances = self.torch.cdist(features[self.targets], features[self.sources])
        best = distances.min(dim=1)
        self.source[self.targets] = self.sources[best.indices]
        self.cost = best.values.square()

    def _improve(self, features) -> None:
        """One PatchMatch pass: the current match, the four neighbours' matches shifted by one,
        and random candidates around the current match at halving radii; the cheapest wins."""
        torch = self.torch
        width = self.width
        y, x = self.targets // width, self.targets % width
        source_y, source_x = self.source[self.targets] // width, self.source[self.targets] % width
        candidates_y, candidates_x = [source_y], [source_x]
        for step_y, step_x in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            neighbour_y = (y - step_y).clamp(0, self.height - 1)
            neighbour_x = (x - step_x).clamp(0, width - 1)
            match = self.source[neighbour_y * width + neighbour_x]
            candidates_y.append(match // width + step_y)
            candidates_x.append(match % width + step_x)
        radius = max(self.height, width)
        while radius >= 1:
            jitter = torch.randint(-radius, radius + 1, (2, len(self.targets)), generator=self.generator,
                                   device=self.targets.device)
            candidates_y.append(source_y + jitter[0])
            candidates_x.append(source_x + jitter[1])
            radius //= 2
        candidate, ok = self._checked(torch.stack(candidates_y), torch.stack(candidates_x))
        target_features = features[self.targets]
        gathered = features.index_select(0, candidate.flatten()).view(*candidate.shape, -1)
        cost = (gathered - target_features).square().sum(-1)
        cost = torch.where(ok, cost, torch.full_like(cost, float("inf")))
        best = cost.min(dim=0)
        self.source[self.targets] = candidate.gather(0, best.indices[None])[0]
        self.cost = best.values

    def _vote(self, features):
        """Each hole pixel: the mean of what the matched patches covering it say, weighted
        towards the better matches. Folded over the targets' bounding box only."""
        torch = self.torch
        functional = torch.nn.functional
        cost = self.cost
        weight = torch.exp(-(cost / (2 * cost.median().clamp(min=1e-6))).clamp(max=30))
        y, x = self.targets // self.width, self.targets % self.width
        top, left = int(y.min()), int(x.min())
        height, width = int(y.max()) - top + 1, int(x.max()) - left + 1
        spot = (y - top) * width + (x - left)
        columns = features.new_zeros(height * width, features.shape[1] + 1)
        columns[spot, :-1] = features[self.source[self.targets]] * weight[:, None]
        columns[spot, -1] = weight
        area = self.patch * self.patch
        folded = functional.fold(columns[:, :-1].T[None], (height + self.patch - 1, width + self.patch - 1),
                                 self.patch)
        count = functional.fold(columns[:, -1:].T[None].expand(1, area, -1),
                                (height + self.patch - 1, width + self.patch - 1), self.patch)
        radius = self.patch // 2
        # the box covers rows top - radius .. top + height + radius - 1 of the image (same for columns)
        canvas = self.pixels.new_zeros(1, self.pixels.shape[1], self.height + 2 * radius,
                                       self.width + 2 * radius)
        canvas[..., top:top + folded.shape[-2], left:left + folded.shape[-1]] = (
            folded / count.clamp(min=1e-30))
        voted = canvas[..., radius:radius + self.height, radius:radius + self.width]
        return self.pixels * (1 - self.hole) + voted * self.hole

    def _checked(self, source_y, source_x):
        """Flat indices of the candidate sources, and whether each is a valid source."""
        inside = (source_y >= 0) & (source_y < self.height) & (source_x >= 0) & (source_x < self.width)
        index = source_y.clamp(0, self.height - 1) * self.width + source_x.clamp(0, self.width - 1)
        return index, inside & self.valid[index]

    def _random(self, count: int):
        pick = self.torch.randint(0, len(self.sources), (count,), generator=self.generator,
                                  device=self.sources.device)
        return self.sources[pick]
