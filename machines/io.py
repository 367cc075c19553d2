"""Atomic file writes: the file appears whole or not at all.

Every ``OSError`` of a write (the path is a directory, no permission, a read-only or full file system) is raised as
:class:`~machines.errors.OutputError` (a :class:`~machines.errors.MachineError` and an ``OSError``), so the CLI
reports it in one line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from machines.errors import MachineError, OutputError

__all__ = ["JSON_MAX_BYTES", "JSON_MAX_DEPTH", "JsonInputError", "atomic_write_bytes", "atomic_write_lines",
           "atomic_write_text", "check_writable", "json_depth", "loads_bounded", "read_json_bounded"]

#: deepest nesting of arrays and objects any JSON input may have (ours nest at most 4 deep); far below the depth
#: at which ``json.loads`` recurses out of the interpreter stack
JSON_MAX_DEPTH = 64
#: largest JSON document read in one piece (an instance file, a checkpoint's JSON, one trace line): 64 MiB
JSON_MAX_BYTES = 64 * 2**20


class JsonInputError(MachineError, ValueError):
    """A JSON input is not valid JSON, too deeply nested or too large (the message is one short line)."""


def json_depth(text: str | bytes) -> int:
    """The deepest nesting of ``[`` / ``{`` in ``text``, brackets inside strings not counted.

    A linear pre-scan (strings removed by one regular expression, then a cumulative sum; no recursion), so it
    is safe on ``'[' * 10**6``; it does not check the JSON otherwise.

    Examples
    --------
    >>> json_depth('[[1], {"a": "[[["}]'), json_depth("3"), json_depth("[" * 100000)
    (2, 0, 100000)
    """
    import numpy as np

    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    bare = _STRINGS.sub(b"", data)  # an unterminated string is left in place: its brackets may count (harmless)
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = (np.isin(codes, _OPEN).astype(np.int64) - np.isin(codes, _CLOSE).astype(np.int64))
    return int(max(0, np.cumsum(steps).max())) if steps.size else 0


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = (0x5B, 0x7B), (0x5D, 0x7D)


def _depth_at_most(data: bytes, limit: int) -> bool:
    """``json_depth(data) <= limit`` without scanning bytes one by one when there are few brackets."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return True
    return json_depth(data) <= limit


def loads_bounded(text: str | bytes, *, what: str = "JSON input", max_depth: int = JSON_MAX_DEPTH,
                  max_bytes: int = JSON_MAX_BYTES) -> Any:
    """``json.loads`` with the size and nesting depth checked first; every failure is one :class:`JsonInputError`.

    The size is checked before anything is parsed, the depth by :func:`json_depth` (linear, no recursion), so a
    hostile document (``'[' * 10**6``, a gigabyte of digits) is refused before ``json.loads`` runs.  ``NaN`` and
    ``Infinity`` (not JSON) are refused too.

    Examples
    --------
    >>> loads_bounded('{"n": [1, 2]}')
    {'n': [1, 2]}
    >>> try:
    ...     loads_bounded("[" * 100000, what="x.json")
    ... except JsonInputError as exc:
    ...     print(exc)
    x.json is nested 100000 deep, above the limit 64
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(data) > max_bytes:
        raise JsonInputError(f"{what} has {len(data)} bytes, above the limit {max_bytes}")
    if not _depth_at_most(data, max_depth):
        raise JsonInputError(f"{what} is nested {json_depth(data)} deep, above the limit {max_depth}")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonInputError(f"{what} is not UTF-8 (byte {exc.start})") from None

    def _no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(decoded, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise JsonInputError(f"{what} is not valid JSON: {str(exc)[:100]}") from None


def read_json_bounded(path: str | os.PathLike[str], *, what: str | None = None, max_depth: int = JSON_MAX_DEPTH,
                      max_bytes: int = JSON_MAX_BYTES) -> Any:
    """Read the JSON file ``path`` under :func:`loads_bounded`'s limits (size checked before reading).

    Raises :class:`JsonInputError` for a missing, unreadable, oversized, non-UTF-8, too deep or invalid file.
    """
    name = what or os.fspath(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise JsonInputError(f"{name} is a directory, not a file")
        if size > max_bytes:
            raise JsonInputError(f"{name} has {size} bytes, above the limit {max_bytes}")
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise JsonInputError(f"no such file: {name}") from None
    except OSError as exc:
        raise JsonInputError(f"cannot read {name}: {exc.strerror or exc}") from None
    return loads_bounded(data, what=name, max_depth=max_depth, max_bytes=max_bytes)


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
