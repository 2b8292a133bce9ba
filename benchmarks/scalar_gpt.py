"""The baseline everyone copies: a minimal slotted scalar Value and the names GPT written with scalar loops.

Each node stores its local gradients when it is made (so backward needs no op table), sums
are chains of ``+``, and every matrix-vector product is a Python loop of ``*`` and ``+``.
``gpt_step`` in the benchmarks runs one training step of this next to chainrule's ``nn.GPT``;
both start from the same weights (``random.gauss(0, 0.08)`` in the order wte, wpe, lm_head,
then q, k, v, o, fc1, fc2 row by row) and compute the same loss.

>>> tokens = [26, 4, 12, 12, 0, 26]           # BOS e m m a BOS
>>> model = ScalarGPT(random.Random(42))
>>> round(model.loss(tokens).data, 4)
3.2957
"""

from __future__ import annotations

import math
import random


class V:
    """A scalar that remembers its inputs and d(self)/d(input) for each, computed at forward time."""

    __slots__ = ("data", "grad", "_prev", "_local")

    def __init__(self, data, prev=(), local=()):
        self.data, self.grad, self._prev, self._local = data, 0.0, prev, local

    def __add__(self, o):
        o = o if isinstance(o, V) else V(o)
        return V(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = o if isinstance(o, V) else V(o)
        return V(self.data * o.data, (self, o), (o.data, self.data))

    def __pow__(self, k):
        return V(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self):
        return V(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self):
        e = math.exp(self.data)
        return V(e, (self,), (e,))

    def relu(self):
        return V(max(0.0, self.data), (self,), (float(self.data > 0),))

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, o):
        return self + (-o)

    def __truediv__(self, o):
        return self * o**-1.0

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative topological sort: graphs here are too deep for recursion
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node._prev, node._local):
                child.grad += local * node.grad


# --- the model, the micrograd way: lists of V and scalar loops ------------------------------

EMBED, HEADS, BLOCK, VOCAB, LAYERS = 16, 4, 16, 27, 1
HEAD_DIM = EMBED // HEADS


def linear(x, w):
    return [sum((wi * xi for wi, xi in zip(row, x)), V(0.0)) for row in w]


def softmax(logits):
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps, V(0.0))
    return [e / total for e in exps]


def rmsnorm(x):
    scale = (sum((xi * xi for xi in x), V(0.0)) * (1.0 / len(x)) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class ScalarGPT:
    """The names GPT (one layer, 4 heads, 16 dims) on V, fed one token at a time with a KV cache."""

    def __init__(self, rng: random.Random, std: float = 0.08):
        def matrix(rows, cols):
            return [[V(rng.gauss(0.0, std)) for _ in range(cols)] for _ in range(rows)]

        self.wte, self.wpe, self.lm_head = matrix(VOCAB, EMBED), matrix(BLOCK, EMBED), matrix(VOCAB, EMBED)
        sizes = [(EMBED, EMBED)] * 4 + [(4 * EMBED, EMBED), (EMBED, 4 * EMBED)]
        self.layers = [[matrix(r, c) for r, c in sizes] for _ in range(LAYERS)]
        mats = [self.wte, self.wpe, self.lm_head] + [m for layer in self.layers for m in layer]
        self.params = [p for m in mats for row in m for p in row]

    def token(self, token_id, pos, keys, values):
        x = rmsnorm([t + p for t, p in zip(self.wte[token_id], self.wpe[pos])])
        for (wq, wk, wv, wo, fc1, fc2), ks, vs in zip(self.layers, keys, values):
            h = rmsnorm(x)
            q = linear(h, wq)
            ks.append(linear(h, wk))
            vs.append(linear(h, wv))
            heads = []
            for s in range(0, EMBED, HEAD_DIM):
                scores = [sum((q[s + j] * k[s + j] for j in range(HEAD_DIM)), V(0.0)) * HEAD_DIM**-0.5 for k in ks]
                weights = softmax(scores)
                heads += [sum((w * v[s + j] for w, v in zip(weights, vs)), V(0.0)) for j in range(HEAD_DIM)]
            x = [a + b for a, b in zip(x, linear(heads, wo))]
            hidden = [u.relu() for u in linear(rmsnorm(x), fc1)]
            x = [a + b for a, b in zip(x, linear(hidden, fc2))]
        return linear(x, self.lm_head)

    def loss(self, tokens):
        """Mean cross-entropy of predicting tokens[1:] from tokens[:-1] (at most BLOCK positions)."""
        n = min(BLOCK, len(tokens) - 1)
        keys, values = [[] for _ in self.layers], [[] for _ in self.layers]
        losses = [-softmax(self.token(tokens[i], i, keys, values))[tokens[i + 1]].log() for i in range(n)]
        return sum(losses, V(0.0)) * (1.0 / n)
