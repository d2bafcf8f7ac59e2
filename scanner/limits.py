"""Bounded reading of every file Rempart is handed: regular files only, never more than a cap.

A path that names a FIFO, a device or a directory is refused before it is opened for reading
(a FIFO would block, a device like /dev/zero would never end); a file larger than its cap is
refused instead of filling memory. The caps are documented in the README ("Limits").
"""

from __future__ import annotations

import os
import stat

KIB = 1024
MIB = 1024 * KIB

MAX_YAML_BYTES = 2 * MIB  # an inventory, a rule pack, a waiver file
MAX_RESULT_BYTES = 64 * MIB  # a JSON scan result read back by `rempart report`
MAX_KNOWN_HOSTS_BYTES = 1 * MIB
MAX_KEY_BYTES = 64 * KIB  # an SSH private key
MAX_CERT_BYTES = 8 * MIB  # a CA bundle (--ca-file)


class InputTooLarge(OSError):
    """The file exceeds its cap, or is not a regular file. `str()` is the user-facing reason."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n // MIB} MiB" if n >= MIB and n % MIB == 0 else f"{n // KIB} KiB"


def check_regular(path: str | os.PathLike[str], limit: int) -> None:
    """Refuse a path that is not a regular file no larger than `limit` (no read)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise InputTooLarge(f"{_kind(st.st_mode)}; expected a regular file")
    if st.st_size > limit:
        raise InputTooLarge(f"{st.st_size} bytes; Rempart reads at most {_size(limit)} here")


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """The file's bytes; InputTooLarge for a non-regular or too-large file, OSError otherwise.

    Opened non-blocking (a FIFO swapped in after the check cannot hang the open), checked again
    on the open descriptor, and read to at most `limit` + 1 bytes (a file growing meanwhile).
    """
    check_regular(path, limit)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputTooLarge(f"{_kind(st.st_mode)}; expected a regular file")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(MIB, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    if got > limit:
        raise InputTooLarge(f"more than {_size(limit)}; Rempart reads at most {_size(limit)} here")
    return b"".join(chunks)


def describe(exc: OSError) -> str:
    """A short reason for a read failure, for `cannot read FILE: REASON` messages."""
    if isinstance(exc, InputTooLarge):
        return str(exc)
    return exc.strerror or str(exc)
