"""vrpspec: the problem's definitions that both `vrp` and `envs` use, written once.

Torch-free and light (numpy only), at the bottom of the house: `vrp` (instances, solvers) and
`envs` (the tensor environment) import it; it imports neither.

- `variants`: the 48 variants, their attribute flags, names and order.
- `distributions`: the generator's distributions (RouteFinder) and the capacity rule.
- `distances`: Euclidean and great-circle matrices, the Earth radius, a local projection.
"""
