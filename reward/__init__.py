"""The detector as a reward for generators: DDPO / Flow-GRPO's `reward(images, prompts,
metadata) -> (rewards, info)`, higher = fewer artifacts.

    from artifactsdk.reward import ArtifactReward
    reward = ArtifactReward()                      # the default bundle, int8 on CPU
    rewards, info = reward(images)                 # NCHW tensor in [0, 1], arrays, PIL, paths, bytes
"""

from artifactsdk.reward.artifact_reward import REDUCTIONS, ArtifactReward

__all__ = ["ArtifactReward", "REDUCTIONS"]
