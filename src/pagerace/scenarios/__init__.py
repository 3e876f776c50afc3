"""The scenario catalogue: named programs with expected verdicts per variant and model."""
