"""Neural solvers trained by reinforcement learning (RouteFinder-style, one model, 48 variants).

- `policy`: the attention model (`Policy`, `ModelArgs`) and its rollout;
- `train`: REINFORCE with the POMO shared baseline as a LightningModule, and `train()`;
- `checkpoint`: self-describing checkpoints, `load_policy` (the one loader);
- `decode`: batched inference with multi-start and 8-fold augmentation (`solve_instances`).

Submodules import torch; import them where they are used.
"""
