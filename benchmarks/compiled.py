"""engine.compile's own numbers: the names GPT trained compiled vs eager, and tracing at scale.

``python -m benchmarks --only compile`` prints them (``--quick``: fewer steps, smaller
graphs).  What it measures, each against the issue's target:

- gpt: ms per eager training step, per replayed step (a cache hit) and per trace; the
  whole compiled run of ``steps`` names with every trace included; and, first, that the
  compiled losses and parameters equal eager's bit for bit on the first names.
- chain: the first call of a compiled chain of n nodes (the trace: eager forward, tape,
  backward on the tape) and the process's peak memory, in a fresh interpreter.
- sum: a sum of 100,000 arguments, traced and replayed.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time

import engine

GPT_STEPS, GPT_STEPS_QUICK = 1000, 100
CHAIN, CHAIN_QUICK = 1_000_000, 100_000


def _names_gpt():
    """The reference GPT (seed 42), Adam with linear decay, and the shuffled names as token lists."""
    import nn

    docs = nn.datasets.names()
    rng = random.Random(42)
    rng.shuffle(docs)
    tok = nn.CharTokenizer(docs)
    model = nn.GPT(tok.vocab_size, rng=rng)
    optimizer = nn.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    schedule = nn.lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=GPT_STEPS)
    names = [tok.encode(d, bos=True)[:17] for d in docs]
    return model, optimizer, schedule, names


def gpt_loss(model, tokens):
    """One name's loss: the mean cross-entropy of predicting each next token."""
    import nn

    return nn.cross_entropy(model(tokens[:-1]), tokens[1:])


def gpt_training(steps: int, compiled: bool) -> dict:
    """Train ``steps`` names; per-step seconds, losses, the compiled function's stats."""
    model, optimizer, schedule, names = _names_gpt()
    step = engine.compile(lambda tokens: gpt_loss(model, tokens)) if compiled else None
    seconds, calls, losses, kinds = [], [], [], []
    start = time.perf_counter()
    for k in range(steps):
        tokens = names[k % len(names)]
        t0 = time.perf_counter()
        optimizer.zero_grad()
        traces = step.stats().traces if step else 0
        t1 = time.perf_counter()
        if step:
            losses.append(step(tokens))
        else:
            loss = gpt_loss(model, tokens)
            loss.backward()
            losses.append(loss.data)
        calls.append(time.perf_counter() - t1)
        optimizer.step()
        schedule.step()
        seconds.append(time.perf_counter() - t0)
        kinds.append("trace" if step and step.stats().traces > traces else "replay" if step else "eager")
    total = time.perf_counter() - start
    return {"seconds": seconds, "calls": calls, "kinds": kinds, "losses": losses, "total": total,
            "params": [p.data for p in model.parameters()], "stats": step.stats() if step else None}


def _median(run: dict, kind: str, what: str = "seconds") -> float:
    times = [s for s, k in zip(run[what], run["kinds"]) if k == kind]
    return statistics.median(times) if times else float("nan")


def gpt_report(steps: int) -> list[str]:
    check = min(steps, 30)
    eager, compiled = gpt_training(check, compiled=False), gpt_training(check, compiled=True)
    if eager["losses"] != compiled["losses"] or eager["params"] != compiled["params"]:
        raise AssertionError("gpt: the compiled losses or parameters differ from eager's")
    run = gpt_training(steps, compiled=True)
    eager_ms, replay_ms = _median(eager, "eager") * 1e3, _median(run, "replay") * 1e3
    eager_call, replay_call = _median(eager, "eager", "calls") * 1e3, _median(run, "replay", "calls") * 1e3
    return [
        f"gpt: compiled = eager bit for bit over the first {check} names (losses and parameters)",
        f"gpt: training step (zero_grad, forward+backward, Adam) eager {eager_ms:.1f} ms, replayed {replay_ms:.1f} ms "
        f"({replay_ms / eager_ms:.2f} of eager; target <= 0.33)",
        f"gpt: forward+backward alone: eager {eager_call:.1f} ms, replay {replay_call:.1f} ms "
        f"({replay_call / eager_call:.2f} of eager); trace {_median(run, 'trace') * 1e3:.0f} ms (target <= 500)",
        f"gpt: {steps} compiled training steps, traces included: {run['total']:.1f} s "
        f"(target <= 20 s for 1000); {run['stats']}",
    ]


_CHAIN_SCRIPT = """
import resource, sys, time
from engine import Value, compile
n = int(sys.argv[1])
x = Value(0.5)
def chain():
    y = x
    for _ in range(n // 2):
        y = y * 1.0001 + 0.001
    return y
start = time.perf_counter()
chain().backward()
eager = time.perf_counter() - start
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
step = compile(chain)
first = step()
traced = time.perf_counter() - start
start = time.perf_counter()
assert step() == first
replayed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(eager, traced, replayed, peak * 1024)
"""


def chain_report(n: int) -> str:
    out = subprocess.run([sys.executable, "-c", _CHAIN_SCRIPT, str(n)], capture_output=True, text=True, check=True)
    eager, traced, replayed, peak = map(float, out.stdout.split())
    return (f"chain: {n:,} nodes: eager forward+backward {eager:.1f} s; compiled first call (the trace) {traced:.1f} s "
            f"= {traced / eager:.1f}x eager, replay {replayed:.1f} s; peak memory {peak / 2**30:.2f} GB "
            "(target for 1e6: <= 30 s and 2 GB)")


def sum_report(n: int = 100_000) -> str:
    xs = [float(i % 7) for i in range(n)]
    w = engine.Value(0.5)
    step = engine.compile(lambda xs: engine.sum(xs) * w)
    start = time.perf_counter()
    step(xs)
    traced = time.perf_counter() - start
    start = time.perf_counter()
    step(xs)
    return f"sum: {n:,} arguments traced in {traced:.2f} s, replayed in {time.perf_counter() - start:.3f} s"


def report(quick: bool = False) -> str:
    """Every compile measurement, one line each."""
    lines = [sum_report(), chain_report(CHAIN_QUICK if quick else CHAIN)]
    lines += gpt_report(GPT_STEPS_QUICK if quick else GPT_STEPS)
    return "\n".join(lines)
