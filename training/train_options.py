"""How `artifactsdk train` trains (training/train.py), as one settings object without torch,
so the command can declare its options from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 10
    seed: int = 0
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    crop: int = 256  # segmenter: training crop side; classifier: its input side
    input_size: int = 512  # segmenter: the input side written to the config (inference)
    val_fraction: float = 0.1
    max_val_batches: int = 16
    imagenet: bool = True
    init: str | None = None  # start from this checkpoint's weights (fine-tuning) instead of ImageNet
    encoder_from: str | None = None  # then copy this checkpoint's encoder (e.g. the trained segmenter's)
    freeze_blocks: int = 3  # stem + the first encoder blocks (strides 2 and 4) stay ImageNet
    warmup_steps: int = 50
    min_class_support: int = 5
    resume: bool = False
    quiet: bool = False

    def to_dict(self) -> dict:
        return asdict(self)
