"""Benchmarking: the resumable run of instances x solvers x seeds (`runner`) and what its
records say (`report`: gaps to a reference, summaries, tables, plots)."""
