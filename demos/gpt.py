"""A GPT learns to write names: 32,033 first names, one per step, then 20 new names of its own.

    python -m demos.gpt                      # 1000 steps, 20 samples, out/gpt_loss.png, out/gpt_attention.png
    python -m demos.gpt --steps 200 --samples 5 --no-plot
    python -m demos.gpt --eager              # build the graph every step instead of replaying it
    python -m demos.gpt --json               # one JSON object: losses, times, samples, traces
    python -m demos.gpt --export out/gpt.pt  # also save the trained model for PyTorch (docs/pytorch.md)

The model is ``nn.GPT`` with its defaults: one layer, 16-dim embeddings, 4 heads, 4,192
parameters.  Each step reads one name wrapped in BOS ("start/end of a name") and learns to
predict each next character; Adam (betas 0.85, 0.99) with the learning rate decayed
linearly from 0.01 to 0.  With ``--seed 42`` (the default) the names are shuffled and the
weights drawn exactly as in the reference file this model comes from, so step 1's loss is
3.3659669475848504.  Training is compiled by default: ``engine.compile`` traces the step
once per name length (the token ids are arguments, picked with ``engine.take``) and replays
it, with the same numbers as eager bit for bit.  Sampling uses the KV cache with no graph
(``no_grad``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable

import engine
from demos._plots import picture, save_figure
from engine import Value
from nn import GPT, Adam, CharTokenizer, cross_entropy, to_torch
from nn.datasets import names
from nn.lr_scheduler import LinearLR
from nn.torch_bridge import gpt_config, require_torch

SEED = 42
STEPS = 1000
TEMPERATURE = 0.5


# %% the data: names shuffled by the seed, characters as token ids, BOS on both sides
def setup(seed: int = SEED) -> tuple[list[str], CharTokenizer, GPT, random.Random]:
    """The shuffled names, the tokenizer, a fresh model, and the random source (for sampling later).

    >>> docs, tok, model, rng = setup()
    >>> docs[0], tok.encode(docs[0], bos=True), model.num_parameters()
    ('yuheng', [26, 24, 20, 7, 4, 13, 6, 26], 4192)
    """
    docs = names()
    rng = random.Random(seed)
    rng.shuffle(docs)
    tok = CharTokenizer(docs)
    return docs, tok, GPT(tok.vocab_size, rng=rng), rng


# %% the loss: predict every next token of one name
def name_loss(model: GPT, tokens: list[int]) -> Value:
    """Mean cross-entropy of predicting tokens[1:] from tokens[:-1] (at most block_size positions).

    >>> docs, tok, model, rng = setup()
    >>> name_loss(model, tok.encode(docs[0], bos=True)).data
    3.3659669475848504
    """
    tokens = tokens[: model.block_size + 1]
    return cross_entropy(model(tokens[:-1]), tokens[1:])


# %% training: one name per step
def train(model: GPT, docs: list[str], tok: CharTokenizer, steps: int = STEPS,
          report: Callable[[int, float], None] | None = None, compiled: bool = True) -> tuple[list[float], int]:
    """Adam with a linear decay to 0 over ``steps``; returns the loss of every step and the number of traces.

    ``compiled=True`` runs forward and backward through ``engine.compile`` (one trace per
    name length, then replays); ``compiled=False`` builds the graph every step.  Both give
    the same losses and weights.  ``report(step, loss)`` is called after each step (from 1).
    """
    optimizer = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=steps)
    step_fn = engine.compile(lambda tokens: name_loss(model, tokens)) if compiled else None
    losses = []
    for step in range(steps):
        tokens = tok.encode(docs[step % len(docs)], bos=True)
        optimizer.zero_grad()
        if step_fn is not None:
            loss = step_fn(tokens)  # forward and backward replayed: the loss as a float, grads added
        else:
            graph = name_loss(model, tokens)
            graph.backward()
            loss = graph.data
        optimizer.step()
        schedule.step()
        losses.append(loss)
        if report:
            report(step + 1, loss)
    return losses, (step_fn.stats().traces if step_fn is not None else 0)


class Progress:
    """Step, loss and steps/s as training goes: tqdm's bar where tqdm is installed, else a line every 10%.

    The bar goes to stderr, as every demo's progress does (``demos._progress``), so stdout
    redirected to a file holds the results and not the bar's carriage returns.
    """

    def __init__(self, steps: int):
        self.steps, self.start = steps, time.perf_counter()
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=steps, unit="step", file=sys.stderr)

    def __call__(self, step: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(1)
            if step == self.steps:
                self.bar.close()
        elif step % max(1, self.steps // 10) == 0 or step == self.steps:
            rate = step / (time.perf_counter() - self.start)
            print(f"step {step:5d} / {self.steps}  loss {loss:.4f}  {rate:.1f} steps/s", flush=True)


# %% sampling: new names, one character at a time, with the KV cache and no graph
def sample(model: GPT, tok: CharTokenizer, rng: random.Random, count: int = 20) -> list[str]:
    """``count`` names drawn at temperature 0.5, each from BOS until the model writes BOS."""
    return [tok.decode(model.generate(tok.bos, stop=tok.bos, temperature=TEMPERATURE, rng=rng))
            for _ in range(count)]


# %% pictures: the loss curve and who attends to whom in one name
def attention_map(model: GPT, tok: CharTokenizer, name: str) -> tuple[list[str], list[list[float]]]:
    """The characters read (BOS first) and the attention weights of the first block, averaged over heads."""
    tokens = tok.encode(name, bos=True)[:-1][: model.block_size]
    _, weights = model(tokens, need_weights=True)
    return ["BOS"] + list(name[: len(tokens) - 1]), [[w.data for w in row] for row in weights[0]]


def attention_text(labels: list[str], weights: list[list[float]]) -> str:
    """The attention map as a table of weights in percent: rows look at columns.

    >>> print(attention_text(["BOS", "a"], [[1.0, 0.0], [0.25, 0.75]]))
           BOS    a
    BOS    100    0
      a     25   75
    """
    lines = ["     " + "".join(f"{c:>5}" for c in labels)]
    lines += [f"{r:>3}  " + "".join(f"{round(100 * w):5d}" for w in row) for r, row in zip(labels, weights)]
    return "\n".join(lines)


def plot_loss(plt, losses: list[float], path: str) -> str:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(losses) + 1), losses, lw=0.6, alpha=0.5, label="loss of the step's name")
    window = max(1, len(losses) // 20)
    smooth = [sum(losses[max(0, i - window + 1): i + 1]) / len(losses[max(0, i - window + 1): i + 1])
              for i in range(len(losses))]
    ax.plot(range(1, len(losses) + 1), smooth, lw=2, label=f"mean of the last {window}")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy")
    ax.set_title("GPT on names: training loss")
    ax.legend()
    return save_figure(plt, fig, path)


def plot_attention(plt, labels: list[str], weights: list[list[float]], path: str) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("attends to")
    ax.set_ylabel("reading")
    ax.set_title("attention (mean of 4 heads)")
    return save_figure(plt, fig, path)


# %% --export: the trained model for PyTorch, where docs/pytorch.md continues training it
def export(model: GPT, tok: CharTokenizer, path: str) -> str:
    """``torch.save`` of ``{'config', 'chars', 'state_dict'}``: ``nn.GPT(**config)`` is the architecture.

    In torch: ``net = nn.to_torch(GPT(**c['config'])); net.load_state_dict(c['state_dict'])``;
    back in chainrule: ``nn.load_torch(GPT(**c['config']), c['state_dict'])``.  Needs torch.
    """
    net = to_torch(model)  # without torch: an ImportError that says how to install it
    import torch

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save({"config": gpt_config(model), "chars": tok.chars, "state_dict": net.state_dict()}, path)
    return path


def check_export(path: str) -> str | None:
    """What keeps ``--export PATH`` from working, found before training rather than after it; None if nothing."""
    try:
        require_torch("--export")
    except ImportError as err:
        return str(err)
    if os.path.isdir(path):
        return f"--export {path}: that is a folder; give a file name such as {os.path.join(path, 'gpt.pt')}"
    return None


# %% the command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.gpt", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED}, the reference's)")
    parser.add_argument("--samples", type=int, default=20, help="names to sample after training (default 20)")
    parser.add_argument("--eager", action="store_true",
                        help="build the graph at every step instead of replaying it with engine.compile")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--no-plot", action="store_true", help="no pictures")
    parser.add_argument("--out", default="out", help="folder for the PNGs (default out)")
    parser.add_argument("--export", metavar="PATH", help="also save the trained model for PyTorch (needs torch; "
                        "see docs/pytorch.md)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.samples < 0:
        parser.error("--steps must be >= 1 and --samples >= 0")
    problem = check_export(args.export) if args.export else None
    if problem:
        parser.error(problem)

    docs, tok, model, rng = setup(args.seed)
    say = (lambda *a: None) if args.json else print
    say(f"{len(docs)} names, vocabulary {tok.chars!r} + BOS, {model.num_parameters()} parameters")
    start = time.perf_counter()
    losses, traces = train(model, docs, tok, args.steps, None if args.json else Progress(args.steps),
                           compiled=not args.eager)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    samples = sample(model, tok, rng, args.samples)
    sample_seconds = time.perf_counter() - start
    if args.export:
        say(f"wrote {export(model, tok, args.export)}: the trained model for PyTorch (see docs/pytorch.md)")
    if args.json:
        mode = "eager" if args.eager else "compiled"
        print(json.dumps({"steps": args.steps, "seed": args.seed, "mode": mode, "traces": traces, "losses": losses,
                          "train_seconds": seconds, "seconds_per_step": seconds / args.steps,
                          "samples": samples, "sample_seconds": sample_seconds}))
        return 0
    tail = losses[-10:]
    how = "eagerly" if args.eager else f"compiled ({traces} traces, one per name length)"
    print(f"trained {args.steps} steps {how} in {seconds:.1f} s ({1000 * seconds / args.steps:.1f} ms/step), "
          f"mean loss of the last {len(tail)}: {sum(tail) / len(tail):.4f}")
    print(f"{args.samples} samples in {sample_seconds:.2f} s:")
    for i, text in enumerate(samples, 1):
        print(f"  {i:2d}  {text}")
    if not args.no_plot:
        labels, weights = attention_map(model, tok, docs[0])
        print(f"attention while reading {docs[0]!r} (percent; rows look at columns):")
        print(attention_text(labels, weights))
        picture(plot_loss, "the loss curve", losses, os.path.join(args.out, "gpt_loss.png"))
        picture(plot_attention, "the attention map", labels, weights, os.path.join(args.out, "gpt_attention.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
