"""The file behind ``Module.save`` and ``Module.load``: plain JSON, written atomically, read with limits.

A saved model is one JSON object (RFC 8259, UTF-8)::

    {"format": "chainrule.nn.state_dict", "version": 2, "model": "MLP", "num_parameters": 13,
     "state_dict": {"layers.0.neurons.0.w.0": 0.25, ..., "layers.1.neurons.0.b": "NaN"}}

Finite numbers are JSON numbers written with ``repr``, so a round trip gives the same bits.
JSON has no NaN or infinity, so those three are written as the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` (JavaScript's spellings); no other string is a value.

``save`` writes a temporary file in the same folder, flushes it to the disk and then
renames it over the old file in one step, so a full disk, an exception or a killed process
leaves the old file as it was.  ``load`` reads regular files only (a FIFO or a device is
refused without waiting), at most ``MAX_FILE_BYTES``, and names the file in every error.

>>> encode_number(float("inf")), decode_number("-Infinity"), encode_number(0.1)
('Infinity', -inf, 0.1)
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .checks import check_bool, check_path, is_real, short

__all__ = ["LoadResult", "FORMAT", "VERSION", "MAX_FILE_BYTES", "encode_number", "decode_number", "write", "read"]

FORMAT = "chainrule.nn.state_dict"  # written into every file, so load() can tell a model from other JSON
VERSION = 2  # 2: non-finite numbers as strings; 1 wrote them as bare NaN/Infinity tokens
_READABLE = (1, 2)
MAX_FILE_BYTES = 1 << 30  # 1 GiB: far more than a model this engine can train, far less than a runaway file



class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped.  NB: torch's _IncompatibleKeys."""

    missing_keys: list[str]
    unexpected_keys: list[str]


_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode_number(x: float) -> float | str:
    """A float as it goes into the file: itself, or ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    >>> encode_number(float("nan"))
    'NaN'
    """
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def decode_number(v: Any) -> Any:
    """A value read from the file: the three non-finite strings become floats, anything else stays.

    >>> decode_number("NaN"), decode_number(2.5), decode_number("nan")
    (nan, 2.5, 'nan')
    """
    return _NON_FINITE.get(v, v) if isinstance(v, str) else v


def write(path: str | os.PathLike, document: dict, where: str) -> None:
    """Write ``document`` as JSON to ``path`` atomically: a temporary file, fsync, then ``os.replace``."""
    check_path(f"{where}: path", path)
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"  # allow_nan=False: RFC 8259 or an error
    name = os.fspath(path)
    # Through a symbolic link, replace the file it points to and keep the link.
    path = os.path.realpath(name)
    _check_replaceable(path, name, where)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, f"{where}: there is no folder {folder!r} to save into", path)
    try:
        _write_and_replace(path, folder, text)
    except OSError as err:  # a full disk, a read-only folder: say which file, not the temporary's name
        raise OSError(err.errno, f"{where}: could not write {name!r} ({err.strerror}); "
                                 f"an old file there is unchanged") from err
    _sync_folder(folder)


def _write_and_replace(path: str, folder: str, text: str) -> None:
    tmp, fd = _create_temporary(folder, os.path.basename(path))
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        _copy_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt too: the old file stays and no temporary is left behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _check_replaceable(path: str, name: str, where: str) -> None:
    """Refuse to put a file where a folder, a device or a FIFO is: the rename would replace it (/dev/null!)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if not stat.S_ISREG(mode):
        raise ValueError(f"{where}: {name!r} is {_kind(mode)}, not a file; save writes a regular file, "
                         f"so give it a file name")


def _create_temporary(folder: str, name: str) -> tuple[str, int]:
    """A new file ``.name.<random>.tmp`` in ``folder``, created exclusively, with the usual permissions."""
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _copy_mode(path: str, tmp: str) -> None:
    """Keep the permissions of the file being replaced (a new file gets the umask's)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    os.chmod(tmp, mode)


def _sync_folder(folder: str) -> None:
    """Flush the rename itself to the disk, where the system allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read(path: str | os.PathLike, where: str) -> dict:
    """The document in a saved-model file, checked to be one; ValueError naming the file otherwise."""
    check_path(f"{where}: path", path)
    name = repr(os.fspath(path))
    data = _read_regular_file(path, name, where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: {name} is not a saved model: it is not UTF-8 text ({err.reason} at byte "
                         f"{err.start})") from None
    try:
        document = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant,
                              object_pairs_hook=_object)
    except RecursionError:
        raise ValueError(f"{where}: {name} is not a saved model: its JSON is nested too deep") from None
    except _Refused as err:
        raise ValueError(f"{where}: {name} is not a saved model: {err}") from None
    except ValueError as err:  # json.JSONDecodeError, and the refusals of the parse_ functions
        raise ValueError(f"{where}: {name} is not a saved model: it is not valid JSON "
                         f"(truncated or another kind of file?): {err}") from None
    _check_document(document, name, where)
    return document


def _read_regular_file(path: str | os.PathLike, name: str, where: str) -> bytes:
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{where}: {name} is not a regular file ({_kind(info.st_mode)}); "
                             f"load reads files written by Module.save")
        if info.st_size > MAX_FILE_BYTES:
            raise ValueError(f"{where}: {name} is {info.st_size} bytes, more than a saved model may be "
                             f"(nn.saving.MAX_FILE_BYTES = {MAX_FILE_BYTES})")
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)  # the file may grow after fstat
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{where}: {name} is more than {MAX_FILE_BYTES} bytes (nn.saving.MAX_FILE_BYTES)")
    return data


def _kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]
    return next((text for test, text in kinds if test(mode)), "not a plain file")


class _Refused(ValueError):
    """A number in the file that no float can hold, or another entry save never writes."""


def _parse_int(text: str) -> int | float:
    # An int literal bigger than any float is no weight: refuse it here, before int() spends time on it.
    if len(text.lstrip("-")) > 309:
        raise _Refused(f"the number {text[:20]}... ({len(text)} digits) is too large for a float")
    return int(text)


def _parse_float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):  # 1e400 would silently read as inf
        raise _Refused(f"the number {short(text, 30)} is too large for a float")
    return x


def _object(pairs: list[tuple[str, Any]]) -> dict:
    # Python's json keeps the last of two equal keys; save never writes one twice, so the file is damaged.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _Refused(f"the name {short(twice)} appears twice in one object")
    return obj


def _parse_constant(text: str) -> float:
    # Bare NaN/Infinity tokens are not JSON, but version 1 of this format wrote them: read them back.
    return _NON_FINITE[text]


def _check_document(document: Any, name: str, where: str) -> None:
    if not (isinstance(document, dict) and document.get("format") == FORMAT):
        raise ValueError(f"{where}: {name} is JSON but not a saved model "
                         f"(expected a 'format': {FORMAT!r} entry, written by Module.save)")
    state = document.get("state_dict")
    if not isinstance(state, dict):
        raise ValueError(f"{where}: {name} has no 'state_dict' object of {{name: float}}")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in _READABLE:
        raise ValueError(f"{where}: {name} has version {short(version)}; this chainrule reads versions "
                         f"{', '.join(map(str, _READABLE))} (was it written by a newer chainrule?)")
    count = document.get("num_parameters")
    if isinstance(count, bool) or not isinstance(count, int) or count != len(state):
        raise ValueError(f"{where}: {name} is damaged: 'num_parameters' is {short(count)} but its state_dict "
                         f"holds {len(state)} value(s)")
    if not isinstance(document.get("model"), str):
        raise ValueError(f"{where}: {name} is damaged: 'model' must be the model's class name, "
                         f"got {short(document.get('model'))}")


def check_state(where: str, params: dict, state: Mapping, strict: bool) -> tuple[list, list[str], list[str]]:
    """What ``load_state_dict`` will do: ([(parameter, float)], missing names, unexpected names).

    Raises ValueError, before anything is written, for a missing or extra name with
    ``strict`` (naming a few and counting them all) and for any value that is no float.
    """
    check_bool(f"{where}: strict", strict)
    missing = [k for k in params if k not in state]
    unexpected = [k for k in state if k not in params]
    if strict and (missing or unexpected):
        problems = []
        if missing:
            problems.append(f"missing parameter(s) {_some(missing)}")
        if unexpected:
            problems.append(f"unexpected name(s) {_some(unexpected)}")
        raise ValueError(f"{where}: {'; '.join(problems)}; the model has {_some(list(params))}")
    updates = [(p, _number(where, name, state[name])) for name, p in params.items() if name in state]
    return updates, missing, unexpected


def _some(names: list, shown: int = 5) -> str:
    """'a', 'b', 'c' -- or the first few and how many more, so a huge list makes a short message."""
    text = ", ".join(short(n, 80) for n in names[:shown])
    return text if len(names) <= shown else f"{text} and {len(names) - shown} more ({len(names)} in all)"


def _number(where: str, name: str, value: object) -> float:
    """A state_dict value as a float; ValueError naming the entry for anything else."""
    if not is_real(value):
        raise ValueError(f"{where}: the value for {short(name)} must be a number, got {type(value).__name__} "
                         f"{short(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{where}: the value for {short(name)} is too large for a float, got "
                         f"{short(value)}") from None


class _Decoded(Mapping):
    """The file's state_dict read through ``decode_number``, one entry at a time when asked for.

    A file with millions of names the model does not have is refused after looking at its
    names only, without converting every value first.
    """

    def __init__(self, raw: dict):
        self._raw = raw

    def __getitem__(self, name: str) -> Any:
        return decode_number(self._raw[name])

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def state_of(document: Mapping) -> Mapping:
    """The file's state_dict with the non-finite strings turned back into floats (as they are read)."""
    return _Decoded(document["state_dict"])
