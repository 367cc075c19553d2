"""Atomic file writes: the file appears whole or not at all.

Every ``OSError`` of a write (the path is a directory, no permission, a read-only or full file system) is raised as
:class:`~machines.errors.OutputError` (a :class:`~machines.errors.MachineError` and an ``OSError``), so the CLI
reports it in one line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from machines.errors import OutputError

__all__ = ["atomic_write_bytes", "atomic_write_lines", "atomic_write_text", "check_writable"]


def _fail(target: Path, exc: OSError) -> OutputError:
    why = exc.strerror or str(exc)
    return OutputError(f"cannot write {os.fspath(target)}: {why}")


def check_writable(path: str | os.PathLike[str]) -> None:
    """Check, before a long run, that :func:`atomic_write_bytes` could create ``path``; raise OutputError if not.

    Creates the missing parent directories (as the write would) and a temporary file next to ``path``, then
    removes the temporary file; an existing ``path`` is left untouched.

    Examples
    --------
    >>> import tempfile
    >>> try:
    ...     check_writable(tempfile.mkdtemp())
    ... except OutputError as exc:
    ...     print(str(exc).endswith("is a directory"), isinstance(exc, OSError))
    True True
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {os.fspath(target)}: is a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise _fail(target, exc) from None


@contextmanager
def _atomic_open(target: Path) -> Iterator[BinaryIO]:
    """A binary file handle on a temporary file next to ``target``; renamed onto ``target`` on success only."""
    if target.is_dir():
        raise OutputError(f"cannot write {os.fspath(target)}: is a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _fail(target, exc) from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise _fail(target, exc) from None
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and ``os.replace``.

    The file gets the usual permissions of a new file (``0o666`` minus the umask), not ``mkstemp``'s ``0o600``.
    Raises :class:`~machines.errors.OutputError` when the file cannot be written.
    """
    with _atomic_open(Path(path)) as fh:
        fh.write(data)


def atomic_write_lines(path: str | os.PathLike[str], lines: Iterable[str]) -> None:
    """Stream ``lines`` (UTF-8, each followed by a newline) atomically: only one line is held in memory at a time.

    The lines may come from a generator; if it raises, the target is left as it was and the temporary file removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write_lines(p, (str(k) for k in range(3)))
    >>> p.read_text()
    '0\\n1\\n2\\n'

    Notes
    -----
    O(total size) time, O(longest line) memory beyond the writer's buffer.
    """
    with _atomic_open(Path(path)) as fh:
        for line in lines:
            fh.write(line.encode("utf-8"))
            fh.write(b"\n")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))
