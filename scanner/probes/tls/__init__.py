"""TLS probing from crafted ClientHellos: only the server's first flight is read."""

import warnings

with warnings.catch_warnings():  # tlslite/__init__ imports asyncore (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    import tlslite  # noqa: F401

from scanner.probes.tls.hello import HelloOutcome, HelloSpec
from scanner.probes.tls.probe import TlsProbe
from scanner.probes.tls.session import TLS_SESSION, TlsSession
from scanner.probes.tls.starttls import StartTlsUnavailable

__all__ = ["TLS_SESSION", "HelloOutcome", "HelloSpec", "StartTlsUnavailable", "TlsProbe",
           "TlsSession"]
