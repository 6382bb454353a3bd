"""The trained weights of artifactsdk's default models.

``classifier/`` and ``segmenter/`` are checkpoints (``model.safetensors`` + ``config.json``,
fp16) that ``artifactsdk export`` turns into the shipped ONNX bundle; ``restorer.pt`` is the
state dict of the repair U-Net (``artifactsdk.models.restorer``). artifactsdk finds them
through ``ROOT``; the files are written by its training recipes.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
