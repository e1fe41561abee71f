"""The spatial puzzle: allocate land claims to land units (see docs/strategy.md).

`model.Problem` holds one study as numpy arrays and validates it; `highs.solve_highs` is the exact
reference (one linear program for HiGHS); `fast.solve_fast` is the specialised price method that
reaches the same optimum for the many-units, few-claims shape; `generator.generate` makes seeded
demo and benchmark instances."""
