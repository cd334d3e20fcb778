"""Uncertainty: how a plan fares when travel and service times vary, and plans that are on
time as often as asked.

- `noise`: noise models (`NoiseModel`, `DEFAULT`, `NONE`, `parse_noise`) and their `Draws`;
- `simulate`: `simulate(instance, solution, samples, seed, noise)` -> `Simulation`, a
  vectorised Monte Carlo by the time rules of FORMAT.md (lateness counted, not forbidden);
- `robust`: `solve_robust(instance, solver, q, ...)`, a plan solved on inflated times whose
  simulated on-time rate is at least ``q``.

docs/uncertainty.md describes the model, its sources and a record of what it does.
"""
