"""A network-namespace lab for the flow-matrix tests (root only)."""
