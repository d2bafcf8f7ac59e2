"""Benchmarks: Rempart against a full sslyze scan of the same local services."""
