"""A real PostgreSQL (Debian's package) with TLS on: the SSLRequest start and the TLS facts.

The scripted server of test_starttls_protocols covers refusals and hostile answers; this one
proves the handshake against the real daemon, started as the `postgres` user with the test PKI.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.engine import run_probe
from scanner.models import ProbeStatus, ServiceProtocol
from scanner.probes.base import ProbeTarget
from scanner.probes.tls import TlsProbe
from tests.conftest import HOST, NAME, TlsPki, context
from tests.weekly.conftest import _as_postgres, _pg_bin
from tests.weekly.helpers import free_port


@pytest.fixture(scope="module")
def postgres_tls(tls_pki: TlsPki) -> Iterator[int]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (scripts/install-system-deps.sh installs it)")
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="rempart-pgtls-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    shutil.copy(tls_pki.good.chain_pem, base / "server.crt")
    shutil.copy(tls_pki.good.key_pem, base / "server.key")
    os.chmod(base / "server.key", 0o600)  # PostgreSQL refuses a key others can read
    if owner is not None:
        for path in (base, sock, base / "server.crt", base / "server.key"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(_as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                "--auth=trust", "-E", "UTF8", "--no-sync"), **run)
    options = (f"-p {port} -k {sock} -c listen_addresses={HOST} -c fsync=off -c ssl=on "
               f"-c ssl_cert_file={base / 'server.crt'} -c ssl_key_file={base / 'server.key'} "
               "-c ssl_min_protocol_version=TLSv1.2")
    subprocess.run(_as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
                                str(base / "server.log"), "-o", options, "-w", "-t", "60",
                                "start"), **run)
    try:
        yield port
    finally:
        subprocess.run(_as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                    "-w", "stop"), check=False, capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_real_postgresql_speaks_tls_after_sslrequest(postgres_tls: int, tls_pki: TlsPki) -> None:
    target = ProbeTarget(HOST, postgres_tls, ServiceProtocol.POSTGRESQL, NAME, NAME)
    ctx = context(ca_file=tls_pki.ca.cert_pem)
    wanted = frozenset({"tls.protocols", "starttls.offered"})
    facts = {f.name: f for f in run_probe(TlsProbe(), target, wanted, ctx, {})}
    assert facts["starttls.offered"].value is True, facts["starttls.offered"]
    protocols = facts["tls.protocols"]
    assert protocols.status is ProbeStatus.COMPLETED, protocols.reason
    assert [o.value for o in protocols.value] == ["TLSv1.2", "TLSv1.3"]  # type: ignore[union-attr]
