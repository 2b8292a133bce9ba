"""Progress for the demos that run more than a few seconds: a tqdm bar where tqdm is installed, else plain lines.

tqdm is optional (``pip install -e '.[progress]'``).  Progress goes to stderr, so what a demo
measures (stdout) reads the same either way; ``say`` prints a result line without tearing a bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")


def _tqdm():
    """tqdm's class, or None when the progress extra is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def progress(items: Iterable[T], desc: str, *, total: int | None = None, unit: str = "step",
             file: TextIO | None = None, bar: bool | None = None) -> Iterator[T]:
    """Yield ``items`` while showing how far along they are: a tqdm bar, or (``bar=False``, no tqdm) plain lines.

    The plain form rewrites one status line on a terminal, and elsewhere (a log, CI) writes a
    line at each quarter, then the time taken.

    >>> import io
    >>> out = io.StringIO()
    >>> sum(progress(range(8), "adding", file=out, bar=False))
    28
    >>> print(out.getvalue(), end="")       # doctest: +ELLIPSIS
    adding: 2 of 8 (25%)
    adding: 4 of 8 (50%)
    adding: 6 of 8 (75%)
    adding: 8 of 8 (100%) in ... s
    """
    file = sys.stderr if file is None else file
    total = len(items) if total is None else total  # type: ignore[arg-type]
    tqdm = _tqdm() if bar is not False else None
    if tqdm is not None:
        yield from tqdm(items, desc=desc, total=total, file=file, unit=unit)
    else:
        yield from _plain(items, desc, total, file)


def _plain(items: Iterable[T], desc: str, total: int, file: TextIO) -> Iterator[T]:
    start, shown, live = time.perf_counter(), 0, file.isatty()
    for done, item in enumerate(items, 1):
        yield item
        if live:
            file.write(f"\r{desc}: {done} of {total}")
        elif done * 4 // max(total, 1) > shown and done < total:
            shown = done * 4 // total
            file.write(f"{desc}: {done} of {total} ({100 * done // total}%)\n")
    file.write(f"{chr(13) if live else ''}{desc}: {total} of {total} (100%) in {time.perf_counter() - start:.1f} s\n")
    file.flush()


def say(line: str) -> None:
    """Print ``line`` to stdout above any progress bar (tqdm's ``write`` when tqdm is there)."""
    tqdm = _tqdm()
    if tqdm is None:
        print(line, flush=True)
    else:
        tqdm.write(line, file=sys.stdout)
