"""Tests of the SPF probe against a local DNS server."""
