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


def _train_one(model, optimizer, schedule, tokens, step=None) -> tuple[float, float, float]:
    """One training step, eager or through ``step``: (loss, seconds of forward+backward, seconds in all)."""
    t0 = time.perf_counter()
    optimizer.zero_grad()
    t1 = time.perf_counter()
    if step is not None:
        loss = step(tokens)
    else:
        value = gpt_loss(model, tokens)
        value.backward()
        loss = value.data
    t2 = time.perf_counter()
    optimizer.step()
    schedule.step()
    return loss, t2 - t1, time.perf_counter() - t0


def gpt_lockstep(steps: int) -> dict:
    """Eager and compiled training side by side, one step each in turn (so both see the same load).

    Raises if a loss or a parameter differs; returns the median seconds of each kind of step.
    """
    eager, compiled = _names_gpt(), _names_gpt()
    model, names = compiled[0], compiled[3]
    step = engine.compile(lambda tokens: gpt_loss(model, tokens))
    times: dict[str, list] = {"eager": [], "replay": [], "trace": []}
    for k in range(steps):
        tokens = names[k % len(names)]
        traces = step.stats().traces
        loss, call, total = _train_one(*compiled[:3], tokens, step)
        times["trace" if step.stats().traces > traces else "replay"].append((call, total))
        eager_loss, call, total = _train_one(*eager[:3], tokens)
        times["eager"].append((call, total))
        if loss != eager_loss:
            raise AssertionError(f"gpt: step {k}: compiled loss {loss!r}, eager {eager_loss!r}")
    if [p.data for p in model.parameters()] != [p.data for p in eager[0].parameters()]:
        raise AssertionError("gpt: the compiled parameters differ from eager's")
    return {kind: (statistics.median(c for c, _ in ts), statistics.median(t for _, t in ts)) if ts else (0.0, 0.0)
            for kind, ts in times.items()}


def gpt_run(steps: int) -> tuple[float, object]:
    """``steps`` compiled training steps, every trace included: (seconds, the compiled function's stats)."""
    model, optimizer, schedule, names = _names_gpt()
    step = engine.compile(lambda tokens: gpt_loss(model, tokens))
    start = time.perf_counter()
    for k in range(steps):
        _train_one(model, optimizer, schedule, names[k % len(names)], step)
    return time.perf_counter() - start, step.stats()


def gpt_report(steps: int) -> list[str]:
    check = min(steps, 60)
    medians = gpt_lockstep(check)
    (eager_call, eager_step), (replay_call, replay_step) = medians["eager"], medians["replay"]
    seconds, stats = gpt_run(steps)
    return [
        f"gpt: compiled = eager bit for bit over the first {check} names, trained side by side (losses, parameters)",
        f"gpt: training step (zero_grad, forward+backward, Adam) eager {eager_step * 1e3:.1f} ms, replayed "
        f"{replay_step * 1e3:.1f} ms ({replay_step / eager_step:.2f} of eager; target <= 0.33)",
        f"gpt: forward+backward alone: eager {eager_call * 1e3:.1f} ms, replay {replay_call * 1e3:.1f} ms "
        f"({replay_call / eager_call:.2f} of eager); a trace {medians['trace'][0] * 1e3:.0f} ms (target <= 500)",
        f"gpt: {steps} compiled training steps, traces included: {seconds:.1f} s "
        f"(target <= 20 s for 1000); {stats}",
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
