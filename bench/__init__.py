"""Gas and throughput benchmarks, run by `make bench` (`ape run bench`).

Each module in this package defines ``run(ctx) -> list[Measurement]``; the bench script
runs them all on one connected chain, prints one table and rewrites the generated part of
docs/BENCHMARKS.md, so every number there comes from a run anyone can repeat.
"""
