"""Known TLS vulnerabilities through sslyze's scan commands (opt-in tls-vulnerabilities pack)."""
