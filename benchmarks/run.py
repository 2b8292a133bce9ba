"""Run the benchmarks and print one table of ratios against plain Python and against micrograd.

``python -m benchmarks`` runs everything (a few minutes); ``--quick`` runs small sizes in
well under a minute.  Engines run interleaved in one process (plain, chainrule, compiled,
micrograd, then again in a rotated order), each repetition is timed on its own, and the
table shows medians.  The garbage collector stays on, as users have it; ``gc.collect()``
runs between repetitions, outside the timed region, so no engine pays for another's garbage.
gpt_step's engines keep models and traces between repetitions, so they run one at a time,
each alone in the process, or the others' live objects would slow its collections.

>>> rows = measure([("chain", 100, 1)], engines=("plain", "chainrule"))
>>> sorted(rows[0].seconds)
['chainrule', 'plain']
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field

from .workloads import AGREEMENT, WORKLOADS, _micrograd, chain_graph, count_nodes

ENGINES = ("plain", "chainrule", "compiled", "micrograd", "scalar")
# gpt_step has no plain-float version: its yardstick is the minimal scalar Value ("scalar").
GPT_ENGINES = ("scalar", "chainrule", "compiled")
# (workload, size, repetitions).  micrograd stops at chain 1e5: at ~1,200 bytes a node its
# 1e6 chain needs ~5 GB, and its recursive topological sort needs a raised recursion limit.
FULL = [
    ("chain", 1_000, 21),
    ("chain", 10_000, 11),
    ("chain", 100_000, 5),
    ("chain", 1_000_000, 3),
    ("wide", 10_000, 11),
    ("mlp_step", 100, 7),
    ("eval", 100, 15),
    ("gpt_step", 10, 5),
]
QUICK = [("chain", 1_000, 7), ("chain", 10_000, 3), ("wide", 10_000, 3), ("mlp_step", 100, 3), ("eval", 100, 5),
         ("gpt_step", 3, 2)]
MICROGRAD_MAX_CHAIN = 100_000
# Workloads whose engines are timed one after another, each alone in the process (see measure).
ALONE = {"gpt_step"}
MEMORY_NODES = 100_000


@dataclass
class Row:
    """The timings of one workload at one size: every repetition of every engine, in seconds."""

    workload: str
    size: int
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def median(self, engine: str) -> float:
        return statistics.median(self.seconds[engine])


def _engines_for(workload: str, size: int, engines: tuple[str, ...]) -> list[str]:
    if workload == "gpt_step":
        return [e for e in engines if e in GPT_ENGINES]
    wanted = [e for e in engines if e not in ("compiled", "scalar") or (e == "compiled" and workload == "mlp_step")]
    if _micrograd() is None or (workload == "chain" and size > MICROGRAD_MAX_CHAIN):
        wanted = [e for e in wanted if e != "micrograd"]
    return wanted


def measure(plan, engines: tuple[str, ...] = ENGINES, log=None) -> list[Row]:
    """Time each (workload, size, repetitions) of ``plan`` on ``engines``, interleaved."""
    rows = []
    for workload, size, reps in plan:
        names = _engines_for(workload, size, engines)
        row = Row(workload, size, {name: [] for name in names})
        results: dict[str, float] = {}
        # An engine whose run keeps a model, optimizer state or traces alive makes every full
        # collection during another engine's run walk them too (gpt_step: the compiled traces
        # made the scalar baseline 1.7x slower than alone), so those engines run one at a time.
        groups = [[name] for name in names] if workload in ALONE else [names]
        for group in groups:
            runs = {name: WORKLOADS[workload](name, size) for name in group}
            for rep in range(reps):
                shift = rep % len(group)  # rotate who goes first, so no engine always runs on a cold cache
                for name in group[shift:] + group[:shift]:
                    gc.collect()
                    start = time.perf_counter()
                    result = runs[name]()
                    row.seconds[name].append(time.perf_counter() - start)
                    if rep == 0:
                        _check_agreement(f"{workload} {size}", name, result, results)
                        results[name] = result
            del runs
        rows.append(row)
        if log:
            log(f"  {workload} {size}: done")
    return rows


def _check_agreement(where: str, name: str, result: float, results: dict[str, float]) -> None:
    """Every engine must compute the same number as the others, or its timing means nothing."""
    for other, expected in results.items():
        if abs(result - expected) > AGREEMENT * max(1.0, abs(expected)):
            raise AssertionError(f"{where}: {name} computed {result!r} but {other} computed {expected!r}")


def bytes_per_node(engine: str, nodes: int = MEMORY_NODES) -> tuple[float, float]:
    """Bytes a chain graph of ``nodes`` op nodes holds (tracemalloc): per op node, and per Value.

    Per op node counts the constant leaf each op lifts (``y * 1.0001`` makes a Value for
    1.0001) as part of the op: that is how the issue quotes micrograd's ~1,170 bytes.
    """
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = chain_graph(engine, nodes)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / nodes, held / count_nodes(root)


def _ratio(row: Row, engine: str, base: str) -> str:
    if engine not in row.seconds or base not in row.seconds:
        return "-"
    return f"{row.median(engine) / row.median(base):.1f}x"


def format_table(rows: list[Row], memory: dict[str, float]) -> str:
    """The results as a fixed-width text table (what docs/performance.md quotes)."""
    header = ["workload", "size", "plain ms", "chainrule", "compiled", "micrograd", "chainrule/micrograd", "us/op"]
    lines = [header]
    gpt_rows = [row for row in rows if row.workload == "gpt_step"]
    for row in rows:
        if row in gpt_rows:
            continue
        per_op = ""
        if row.workload == "chain":  # 2 ops per link: the cost per node, to see it stay flat
            per_op = f"{row.median('chainrule') / (2 * row.size) * 1e6:.2f}"
        lines.append(
            [
                row.workload,
                f"{row.size:,}",
                f"{row.median('plain') * 1e3:.2f}",
                _ratio(row, "chainrule", "plain"),
                _ratio(row, "compiled", "plain"),
                _ratio(row, "micrograd", "plain"),
                _ratio(row, "chainrule", "micrograd"),
                per_op,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.append("")
    text.append("ratios are median time / median plain time; lower is better")
    for row in gpt_rows:
        text.append(_gpt_line(row))
    for engine, (per_op, per_value) in memory.items():
        text.append(
            f"memory: {engine} {per_op:,.0f} bytes per op node ({per_value:,.0f} per Value, constants included; "
            f"{MEMORY_NODES:,}-op chain, tracemalloc)"
        )
    return "\n".join(text)


def _gpt_line(row: Row) -> str:
    """gpt_step's result: ms per training step of each engine, and how many times faster than the baseline."""
    per_step = {e: row.median(e) / row.size * 1e3 for e in row.seconds}
    parts = [f"{e} {ms:.1f} ms/step" for e, ms in per_step.items()]
    if "scalar" in per_step:
        parts += [f"{e} is {per_step['scalar'] / ms:.1f}x faster than scalar" for e, ms in per_step.items()
                  if e != "scalar"]
    return f"gpt_step ({row.size} names GPT training steps per repetition): " + ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m benchmarks [--quick] [--only chain,wide,...]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repetitions (under a minute)")
    parser.add_argument("--only", default="",
                        help="comma-separated workloads: chain,wide,mlp_step,eval,gpt_step,memory,compile")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    only = set(filter(None, args.only.split(",")))
    unknown = only - set(WORKLOADS) - {"memory", "compile"}
    if unknown:
        choices = ", ".join([*WORKLOADS, "memory", "compile"])
        parser.error(f"unknown workload(s) {', '.join(sorted(unknown))}; choose from {choices}")
    if only:
        plan = [entry for entry in plan if entry[0] in only]
    print(f"Python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()}, gc enabled: {gc.isenabled()}")
    if _micrograd() is None:
        print("micrograd is not installed (pip install -e '.[bench]'): its columns stay empty")
    rows = measure(plan, log=lambda message: print(message, file=sys.stderr, flush=True))
    memory = {}
    if not only or "memory" in only:
        engines = ["chainrule"] + (["micrograd"] if _micrograd() is not None else [])
        memory = {engine: bytes_per_node(engine) for engine in engines}
    print(format_table(rows, memory))
    if not only or "compile" in only:  # engine.compile's own numbers (benchmarks/compiled.py)
        from .compiled import report

        print(report(quick=args.quick))
    return 0
