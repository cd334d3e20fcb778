"""The shipped neural checkpoints (``*.ckpt``, each with its model card ``*.md``).

Package data: a wheel installs this folder as ``vrp.checkpoints``; `vrp.solvers.neural`
finds it with importlib.resources (`checkpoint_dir`).
"""
