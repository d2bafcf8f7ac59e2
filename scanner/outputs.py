"""Output files: checked before any work starts, written so that a file is whole or untouched.

`check_outputs` refuses, before the scan, an output path that cannot be written, that names a
directory or a device, that two options share, or that is one of the run's input files (the
inventory, a rule pack, the JSON result being re-rendered...). `write_atomic` writes to a
temporary file in the same directory, flushes it to disk and renames it over the target, so a
crash, a full disk or a signal mid-write leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path


class OutputError(Exception):
    """An output path cannot be used. `str()` is the user-facing message."""


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(path.expanduser())).resolve()


def check_outputs(outputs: Mapping[str, Path | None], inputs: Iterable[tuple[str, Path]]
                  ) -> None:
    """Refuse unusable outputs. `outputs`: option -> path; `inputs`: (what, path) pairs."""
    given = {option: _resolved(path) for option, path in outputs.items() if path is not None}
    sources = [(what, _resolved(path)) for what, path in inputs]
    seen: dict[Path, str] = {}
    for option, path in given.items():
        shown = outputs[option]
        for other_path, other in seen.items():
            if _same(path, other_path):
                raise OutputError(f"{option} and {other} name the same file ({shown}); give "
                                  "each report its own file")
        for what, source in sources:
            if _same(path, source):
                raise OutputError(f"{option} {shown} is an input of this run ({what}); "
                                  "writing there would destroy it")
        _check_writable(option, shown, path)
        seen[path] = option


def _check_writable(option: str, shown: Path | None, path: Path) -> None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # the directory check below says why
        st = None
    except OSError as exc:
        raise OutputError(f"{option} {shown}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise OutputError(f"{option} {shown} is {kind}; expected a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".check")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{option} {shown}: cannot write in {path.parent}: "
                          f"{exc.strerror or exc}") from None


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a synced temporary file renamed into place."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself, on filesystems that support it
        dirfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)


def _mode(path: Path) -> int:
    """The existing file's permissions, else what a plain `open()` would create."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
