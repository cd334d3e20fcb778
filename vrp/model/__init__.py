"""The problem model: the immutable `Instance`, the `Solution` (routes only), the referee
`evaluate()` (the only code that computes cost and feasibility), the variant flags and the
seeded instance generator."""
