"""The demo's training run against the reference written independently in torch float64, step by step.

The torch version below is built from issue 13's description only (one layer, RMSNorm without
a scale, 4 causal heads, ReLU MLP, no biases, Adam (0.85, 0.99) with lr 0.01 decayed linearly
to 0, weights from ``random.gauss(0, 0.08)`` in the order wte, wpe, lm_head, q, k, v, o, fc1,
fc2), so a slip in the GPT, the loss, Adam's bias correction or the schedule's last step shows
up as a different loss at some step, compiled and eager alike.
"""

import math
import random

import pytest
import torch

from demos.gpt import setup, train
from nn.datasets import names

STEPS = 30


def torch_reference_losses(steps, seed=42):
    docs = names()
    rng = random.Random(seed)
    rng.shuffle(docs)
    chars = sorted(set("".join(docs)))
    bos, vocab, embd, block, heads = len(chars), len(chars) + 1, 16, 16, 4
    hd = embd // heads

    def matrix(rows, cols):
        return torch.tensor([[rng.gauss(0.0, 0.08) for _ in range(cols)] for _ in range(rows)],
                            dtype=torch.float64, requires_grad=True)

    wte, wpe, head = matrix(vocab, embd), matrix(block, embd), matrix(vocab, embd)
    wq, wk, wv, wo = (matrix(embd, embd) for _ in range(4))
    fc1, fc2 = matrix(4 * embd, embd), matrix(embd, 4 * embd)
    params = [wte, wpe, head, wq, wk, wv, wo, fc1, fc2]

    def rms(x):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-5)

    def forward(tokens):
        t = len(tokens)
        x = rms(wte[tokens] + wpe[:t])
        h = rms(x)
        q, k, v = ((h @ w.T).view(t, heads, hd).transpose(0, 1) for w in (wq, wk, wv))
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        att = (q @ k.transpose(1, 2) / math.sqrt(hd)).masked_fill(causal, float("-inf")).softmax(-1)
        x = x + (att @ v).transpose(0, 1).reshape(t, embd) @ wo.T
        x = x + torch.relu(rms(x) @ fc1.T) @ fc2.T
        return x @ head.T

    m = [torch.zeros_like(p) for p in params]
    s = [torch.zeros_like(p) for p in params]
    losses = []
    for step in range(steps):
        tokens = [bos] + [chars.index(c) for c in docs[step % len(docs)]] + [bos]
        n = min(block, len(tokens) - 1)
        loss = torch.nn.functional.cross_entropy(forward(tokens[:n]), torch.tensor(tokens[1:n + 1]))
        for p in params:
            p.grad = None
        loss.backward()
        losses.append(loss.item())
        lr = 0.01 * (1 - step / steps)
        with torch.no_grad():
            for i, p in enumerate(params):
                m[i] = 0.85 * m[i] + 0.15 * p.grad
                s[i] = 0.99 * s[i] + 0.01 * p.grad**2
                p -= lr * (m[i] / (1 - 0.85 ** (step + 1))) / ((s[i] / (1 - 0.99 ** (step + 1))).sqrt() + 1e-8)
    return losses


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "eager"])
def test_demo_training_follows_an_independent_torch_reference(compiled):
    expected = torch_reference_losses(STEPS)
    docs, tok, model, _ = setup()
    losses, _ = train(model, docs, tok, STEPS, compiled=compiled)
    assert losses[0] == 3.3659669475848504
    assert max(abs(a - b) for a, b in zip(losses, expected)) < 1e-12
    assert len(losses) == STEPS
