//! A synthetic population for demos, tests and benchmarks.
