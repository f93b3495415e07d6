"""The compiler: a validated policy → names, formulas, step order, types, generated code."""
