"""The benchmark workloads, each written once per engine: plain floats, chainrule, micrograd.

A workload is a function ``make(engine, size)`` returning a zero-argument ``run`` that does
one repetition and returns a number (a gradient or a loss), so the runner can check that
every engine computed the same thing before it compares their times.

"plain" is the same computation written with Python floats and a hand-written backward
pass, as a learner would write it: loops over lists, no tricks.  It is the yardstick.

>>> run = make_chain("plain", 10)
>>> round(run(), 6)
1.0009
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable

import engine
from engine import Value

# The multiplier and increment of the chain workload: x -> x * A + B.
A, B = 1.0001, 0.001
MLP_SIZES = (2, 16, 16, 1)
ALPHA = 1e-4  # the L2 coefficient of micrograd's moons demo
LEARNING_RATE = 0.5


def _micrograd():
    """micrograd's engine and nn modules, or None when it is not installed (the ``bench`` extra)."""
    try:
        from micrograd import engine as mg_engine
        from micrograd import nn as mg_nn
    except ImportError:
        return None
    return mg_engine, mg_nn


# --- chain: x -> x*A + B, N times, forward and backward ------------------------------------


def make_chain(kind: str, n: int) -> Callable[[], float]:
    """One forward and backward pass through a chain of ``2n`` ops; ``run()`` returns dy/dx."""
    if kind == "plain":

        def run() -> float:
            y = 0.5
            for _ in range(n):
                y = y * A + B
            grad = 1.0  # d(y*A + B)/dy = A at every link
            for _ in range(n):
                grad = grad * A
            return grad

    elif kind in ("chainrule", "micrograd"):
        value_type = Value if kind == "chainrule" else _micrograd()[0].Value
        if kind == "micrograd":  # its topological sort recurses once per node
            sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 1000))

        def run() -> float:
            x = value_type(0.5)
            y = x
            for _ in range(n):
                y = y * A + B
            y.backward()
            return x.grad

    else:
        raise ValueError(f"chain: no {kind!r} version")
    return run


# --- wide: one dot product of two length-N lists -----------------------------------------


def make_wide(kind: str, n: int) -> Callable[[], float]:
    """d(w . x)/dw_0 for two lists of ``n`` values built from floats, forward and backward."""
    rng = random.Random(1)
    ws = [rng.uniform(-1, 1) for _ in range(n)]
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    if kind == "plain":

        def run() -> float:
            out = 0.0
            for w, x in zip(ws, xs):
                out += w * x
            w_grads = list(xs)  # d(w . x)/dw_i = x_i
            x_grads = list(ws)
            return w_grads[0] + 0.0 * x_grads[0] + 0.0 * out

    elif kind == "chainrule":

        def run() -> float:
            w_values = [Value(w) for w in ws]
            out = engine.dot(w_values, [Value(x) for x in xs])
            out.backward()
            return w_values[0].grad

    elif kind == "micrograd":
        mg_value = _micrograd()[0].Value

        def run() -> float:
            w_values = [mg_value(w) for w in ws]
            out = sum((w * mg_value(x) for w, x in zip(w_values, xs)), mg_value(0.0))
            out.backward()
            return w_values[0].grad

    else:
        raise ValueError(f"wide: no {kind!r} version")
    return run


# --- the moons model: data, weights, plain forward and backward --------------------------


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, labels -1 and +1 (sklearn's make_moons, without numpy)."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        t = math.pi * (i // 2) / max(1, n // 2 - 1)
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), -1.0
        else:
            x, y, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        points.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
        labels.append(label)
    return points, labels


def initial_weights(seed: int = 0) -> list[list[tuple[list[float], float]]]:
    """Layers of neurons of (weights, bias), uniform in [-1, 1] as micrograd starts them."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1, 1) for _ in range(nin)], rng.uniform(-0.1, 0.1)) for _ in range(nout)]
        for nin, nout in zip(MLP_SIZES, MLP_SIZES[1:])
    ]


def _load(model, weights) -> None:
    """Copy ``initial_weights()`` into a chainrule or micrograd MLP (both name w, b, neurons, layers)."""
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, (w, b) in zip(layer.neurons, layer_weights):
            for value, number in zip(neuron.w, w):
                value.data = number
            neuron.b.data = b


def plain_forward(weights, x: list[float]) -> tuple[float, list[list[float]]]:
    """The model's score for one point, and every layer's activations (for the backward pass)."""
    activations = [x]
    last = len(weights) - 1
    for i, layer in enumerate(weights):
        out = []
        for w, b in layer:
            total = 0.0
            for wi, xi in zip(w, x):
                total += wi * xi
            total += b
            out.append(total if i == last or total > 0.0 else 0.0)  # ReLU on hidden layers
        activations.append(out)
        x = out
    return x[0], activations


def plain_loss_and_grads(weights, points, labels) -> tuple[float, list]:
    """Hinge loss + ALPHA * L2 over all points, and d(loss)/d(every weight), by hand."""
    grads = [[[[0.0] * len(w), 0.0] for w, _ in layer] for layer in weights]  # [w grads, b grad]
    n = len(points)
    loss = 0.0
    for x, label in zip(points, labels):
        score, acts = plain_forward(weights, x)
        margin = 1.0 - label * score
        if margin <= 0.0:
            continue  # relu(margin) = 0: no loss, no gradient
        loss += margin / n
        # Backward through the layers: delta is d(loss)/d(pre-activation) of each neuron.
        deltas = [-label / n]
        for i in range(len(weights) - 1, -1, -1):
            inputs = acts[i]
            back = [0.0] * len(inputs)
            for (w, _), grad, delta in zip(weights[i], grads[i], deltas):
                for j, xj in enumerate(inputs):
                    grad[0][j] += delta * xj
                    back[j] += delta * w[j]
                grad[1] += delta
            if i > 0:
                deltas = [d if a > 0.0 else 0.0 for d, a in zip(back, inputs)]
    for layer, layer_grads in zip(weights, grads):
        for (w, b), grad in zip(layer, layer_grads):
            for j, wj in enumerate(w):
                loss += ALPHA * wj * wj
                grad[0][j] += 2.0 * ALPHA * wj
            loss += ALPHA * b * b
            grad[1] += 2.0 * ALPHA * b
    return loss, grads


def _chainrule_loss(model, inputs, labels) -> Value:
    """Hinge loss + ALPHA * L2 of a chainrule model: the moons demo's loss."""
    scores = [model(x) for x in inputs]
    losses = [(1.0 - label * score).relu() for label, score in zip(labels, scores)]
    params = model.parameters()
    return engine.sum(losses) * (1.0 / len(losses)) + ALPHA * engine.dot(params, params)


def _micrograd_loss(model, inputs, labels):
    scores = [model(x) for x in inputs]
    losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
    return sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in model.parameters())


# --- mlp_step: one training step of the moons demo ---------------------------------------


def make_mlp_step(kind: str, n: int = 100) -> Callable[[], float]:
    """One SGD step of MLP(2, [16, 16, 1]) on ``n`` moons points; ``run()`` returns the loss.

    Each repetition starts from the same weights, so every engine and repetition does
    exactly the same arithmetic.
    """
    points, labels = moons(n)
    weights = initial_weights()
    if kind == "plain":

        def run() -> float:
            current = [[(list(w), b) for w, b in layer] for layer in weights]
            loss, grads = plain_loss_and_grads(current, points, labels)
            for layer, layer_grads in zip(current, grads):  # SGD; plain has no grads to zero
                for k, ((w, b), (gw, gb)) in enumerate(zip(layer, layer_grads)):
                    layer[k] = ([wj - LEARNING_RATE * g for wj, g in zip(w, gw)], b - LEARNING_RATE * gb)
            return loss

        return run
    if kind == "micrograd":
        mg_engine, mg_nn = _micrograd()
        model = mg_nn.MLP(MLP_SIZES[0], list(MLP_SIZES[1:]))
        inputs = [[mg_engine.Value(c) for c in x] for x in points]
        make_loss = _micrograd_loss
    elif kind in ("chainrule", "compiled"):
        import nn

        model = nn.MLP(MLP_SIZES[0], list(MLP_SIZES[1:]))
        inputs = [[Value(c) for c in x] for x in points]
        make_loss = _chainrule_loss
    else:
        raise ValueError(f"mlp_step: no {kind!r} version")
    params = model.parameters()
    if kind == "compiled":
        _load(model, weights)
        replay = engine.compile(lambda: _chainrule_loss(model, inputs, labels))

    def run() -> float:
        _load(model, weights)
        if kind == "compiled":
            loss = replay()
        else:
            loss_value = make_loss(model, inputs, labels)
            loss_value.backward()
            loss = loss_value.data
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        model.zero_grad()
        return loss

    return run


# --- eval: the moons model's scores without recording a graph ----------------------------


def make_eval(kind: str, n: int = 100) -> Callable[[], float]:
    """The model's scores on ``n`` points with no graph (``no_grad``); returns their sum."""
    points, _ = moons(n)
    weights = initial_weights()
    if kind == "plain":
        return lambda: math.fsum(plain_forward(weights, x)[0] for x in points)
    if kind == "chainrule":
        import nn

        model = nn.MLP(MLP_SIZES[0], list(MLP_SIZES[1:]))
        _load(model, weights)

        def run() -> float:
            with engine.no_grad():
                return math.fsum(model(x).data for x in points)

        return run
    if kind == "micrograd":
        # micrograd has no no_grad: its forward always records the graph.
        mg_engine, mg_nn = _micrograd()
        model = mg_nn.MLP(MLP_SIZES[0], list(MLP_SIZES[1:]))
        _load(model, weights)
        return lambda: math.fsum(model([mg_engine.Value(c) for c in x]).data for x in points)
    raise ValueError(f"eval: no {kind!r} version")


# --- memory: bytes per node of a chain graph ---------------------------------------------


def chain_graph(kind: str, n: int):
    """The output of a chain of ``n`` ops (n/2 links of ``*A + B``), for the memory workload."""
    value_type = Value if kind == "chainrule" else _micrograd()[0].Value
    y = value_type(0.5)
    for _ in range(n // 2):
        y = y * A + B
    return y


def count_nodes(root) -> int:
    """Every node the graph of ``root`` holds (constants included), for either engine."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# --- gpt_step: training steps of the names GPT (issue 13) ---------------------------------

GPT_SCHEDULE = 1000  # the lr decays linearly to 0 over this many steps, as in the demo


def make_gpt_step(kind: str, n: int = 10) -> Callable[[], float]:
    """``n`` training steps of the names GPT (one name each, Adam, linear decay); ``run()`` returns the mean loss.

    "scalar" is the baseline everyone copies (``benchmarks/scalar_gpt.py``: a minimal Value
    that stores local gradients, the model in scalar loops); "chainrule" is ``nn.GPT`` built
    eagerly every step.  Both start from the reference's weights (seed 42) and read the
    same names, so repetition r of every engine does the same arithmetic.
    """
    import nn

    from .scalar_gpt import ScalarGPT, adam_step

    docs = nn.datasets.names()
    rng = random.Random(42)
    rng.shuffle(docs)
    tok = nn.CharTokenizer(docs)
    names = [tok.encode(d, bos=True)[:17] for d in docs]
    done = [0]
    if kind == "scalar":
        model = ScalarGPT(rng)
        m, v = [0.0] * len(model.params), [0.0] * len(model.params)

        def one_step(tokens: list[int]) -> float:
            loss = model.loss(tokens)
            loss.backward()
            adam_step(model.params, m, v, done[0] + 1, 0.01 * (1 - done[0] / GPT_SCHEDULE))
            return loss.data

    elif kind == "chainrule":
        model = nn.GPT(tok.vocab_size, rng=rng)
        optimizer = nn.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
        schedule = nn.lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=GPT_SCHEDULE)

        def one_step(tokens: list[int]) -> float:
            loss = nn.cross_entropy(model(tokens[:-1]), tokens[1:])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            return loss.data

    else:
        raise ValueError(f"gpt_step: no {kind!r} version")

    def run() -> float:
        losses = []
        for _ in range(n):
            losses.append(one_step(names[done[0] % len(names)]))
            done[0] += 1
        return sum(losses) / n

    return run


WORKLOADS: dict[str, Callable[[str, int], Callable[[], float]]] = {
    "chain": make_chain,
    "wide": make_wide,
    "mlp_step": make_mlp_step,
    "eval": make_eval,
    "gpt_step": make_gpt_step,
}

# The plain and engine results agree to this relative tolerance (the order of additions differs).
AGREEMENT = 1e-9
