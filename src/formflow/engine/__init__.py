"""Engine: pure functions over definitions, data and now (validation, expressions, numbering, deadlines)."""
