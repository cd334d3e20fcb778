"""CPU time of whole training steps (sampling rollouts, REINFORCE loss, backward, AdamW) in
three modes: eager float32, bf16 autocast, and torch.compile on the encoder layers. One
thread; the policy and batch are those of `vrp train` (`PolicyTraining.training_step`, the 48
variants, batch 64, a POMO start per customer, width 128, 4 layers).

    .venv/bin/python scripts/train_step_timing.py N MODE STEPS    # MODE: eager, bf16, compile

Two warm-up steps first (compile compiles there), then STEPS steps timed; prints the CPU
seconds per step and the training instances per CPU second. docs/neural.md ("Learning per
CPU-hour") quotes it: modes that only change speed need no learning arm.
"""

import sys
import time

import torch

from envs.flags import VARIANT_NAMES
from vrp.neural.policy import ModelArgs
from vrp.neural.train import PolicyTraining, Reference, TrainConfig

MODES = ("eager", "bf16", "compile")


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[2] not in MODES:
        sys.exit(f"usage: train_step_timing.py N {{{','.join(MODES)}}} STEPS")
    n, mode, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(1)
    config = TrainConfig(variants=tuple(VARIANT_NAMES), num_loc=n, batch_size=64)
    reference = Reference(list(VARIANT_NAMES), n, 8, 0, "pyvrp", 1.0)  # unused: no validation
    module = PolicyTraining(ModelArgs(), config, reference, out=None)  # type: ignore[arg-type]
    module.log = lambda *a, **k: None  # type: ignore[method-assign]  # no trainer to log to
    if mode == "compile":
        for i, layer in enumerate(module.policy.layers):
            module.policy.layers[i] = torch.compile(layer, dynamic=False)
    opt = torch.optim.AdamW(module.policy.parameters(), lr=3e-4)

    def step(i: int) -> None:
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "bf16"):
            loss = module.training_step(torch.tensor(i), i)
        loss.backward()
        opt.step()

    for i in range(2):
        step(i)
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(steps):
        step(100 + i)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(
        f"n={n} {mode}: {steps} steps, {cpu / steps:.3f} CPU s per step "
        f"({config.batch_size * steps / cpu:.1f} instances per CPU s), wall {wall / steps:.3f} s"
    )


if __name__ == "__main__":
    main()
