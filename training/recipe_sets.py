"""The data sets of the recipe that made the shipped weights (`python -m
artifactsdk.training.recipe`): synthetic seeds, counts and image size, and the share of the
rated prompts held out from tuning. The benchmarks draw their held-out sets from the same."""

TRAIN_SEED, TRAIN_COUNT, HELDOUT_SEED, HELDOUT_COUNT, SIZE = 1, 4000, 1000, 500, 512
TUNE_SEED, TUNE_COUNT, TUNE_FRACTION = 2, 800, 0.5  # synthetic images for tune, apart from training's
CAMERA_EFFECTS, NEGATIVE_FRACTION = 0.4, 0.35
RATINGS_HELDOUT_FRACTION = 0.35  # of the prompts; their images are never used for tuning
