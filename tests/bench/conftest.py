"""The benchmarks' own tier: each bench/ script runs once, small, and must print every figure
it promises (the figures themselves are not checked: measurements are not tests)."""
