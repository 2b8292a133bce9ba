"""A GPT: token and position embeddings, Transformer blocks, and a head that scores the next token.

Every piece is an nn block (``Embedding``, ``RMSNorm``, ``TransformerBlock``, ``Linear``),
so this file is only how they are wired.  With the defaults it is the one-layer GPT that
learns to write names: 16-dim embeddings, 4 heads, a 16 -> 64 -> 16 ReLU MLP, RMSNorm
without a learned scale, no biases, and every weight drawn from N(0, 0.08).

>>> import random
>>> model = GPT(vocab_size=27, rng=random.Random(42))
>>> model.num_parameters()
4192
>>> logits = model([26, 4, 12])           # scores for the token after each of BOS, e, m
>>> len(logits), len(logits[0])
(3, 27)
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from engine import Value, no_grad

from .attention import Embedding, KVCache
from .checks import check_size
from .functional import softmax
from .init import check_rng, normal_
from .layers import Linear
from .module import Module
from .norm import RMSNorm
from .transformer import TransformerBlock

__all__ = ["GPT"]


class GPT(Module):
    """A decoder-only Transformer over token ids: ``model(tokens)`` gives next-token scores (logits).

    ``forward(tokens, kv_cache=None, need_weights=False)`` takes a list of token ids and
    returns one list of ``vocab_size`` logits per token: row i scores what comes after
    tokens[0..i].  With a cache from ``new_kv_cache()``, ``tokens`` are only the new ones and
    their positions continue after the cached ones; the logits equal those of the full
    forward.  ``need_weights=True`` returns ``(logits, weights)``, with each block's attention
    weights (averaged over heads, ``[new tokens][all tokens]``).

    Weights are drawn from N(0, ``init_std``) with ``rng``, in the order wte, wpe, lm_head,
    then per block the query, key, value and output projections and the two MLP layers,
    row by row.

    >>> model = GPT(vocab_size=5, block_size=4, n_embd=4, n_head=2, rng=random.Random(0))
    >>> [name for name, _ in model.named_children()]
    ['wte', 'wpe', 'norm', 'blocks.0', 'lm_head']
    """

    def __init__(self, vocab_size: int, block_size: int = 16, n_embd: int = 16, n_head: int = 4, n_layer: int = 1,
                 eps: float = 1e-5, init_std: float = 0.08, *, rng: random.Random | None = None):
        self.vocab_size = check_size("GPT: vocab_size", vocab_size)
        self.block_size = check_size("GPT: block_size", block_size)
        check_size("GPT: n_layer", n_layer)
        scratch = random.Random(0)  # the layers' own inits, all overwritten below
        self.wte = Embedding(vocab_size, n_embd, rng=scratch)  # token embeddings
        self.wpe = Embedding(block_size, n_embd, rng=scratch)  # position embeddings
        self.norm = RMSNorm(n_embd, eps=eps, elementwise_affine=False)
        self.blocks = [
            TransformerBlock(n_embd, n_head, 4 * n_embd, norm_first=True, causal=True, bias=False, norm="rmsnorm",
                             norm_affine=False, layer_norm_eps=eps, rng=scratch)
            for _ in range(n_layer)
        ]
        self.lm_head = Linear(n_embd, vocab_size, bias=False, rng=scratch)
        rng = check_rng(rng, "GPT")
        for weights in self._weights_in_draw_order():
            normal_(weights, 0.0, init_std, rng=rng)

    def _weights_in_draw_order(self) -> list[list[list[Value]]]:
        per_block = [[b.self_attn.in_proj_weight, b.self_attn.out_proj.weight, b.linear1.weight, b.linear2.weight]
                     for b in self.blocks]
        return [self.wte.weight, self.wpe.weight, self.lm_head.weight] + [w for ws in per_block for w in ws]

    def new_kv_cache(self) -> list[KVCache]:
        """An empty cache, one ``KVCache`` per block, for feeding tokens a few at a time."""
        return [KVCache() for _ in self.blocks]

    def forward(self, tokens: Sequence[int], kv_cache: list[KVCache] | None = None, need_weights: bool = False):
        start = self._cached_length(kv_cache) if kv_cache is not None else 0
        if not 0 < start + len(tokens) <= self.block_size:
            raise ValueError(f"GPT: got {len(tokens)} token(s) after {start} cached; the model sees 1 to "
                             f"block_size={self.block_size} positions")
        positions = self.wpe(list(range(start, start + len(tokens))))
        x = [[t + p for t, p in zip(tok, pos)] for tok, pos in zip(self.wte(list(tokens)), positions)]
        x = self.norm(x)
        weights = []
        for i, block in enumerate(self.blocks):
            x = block(x, need_weights=need_weights, kv_cache=kv_cache[i] if kv_cache is not None else None)
            if need_weights:
                x, w = x
                weights.append(w)
        logits = [self.lm_head(xi) for xi in x]
        return (logits, weights) if need_weights else logits

    def _cached_length(self, kv_cache: object) -> int:
        """How many tokens the cache holds; refuse a cache that is not one KVCache per block, all alike."""
        if not (isinstance(kv_cache, list) and len(kv_cache) == len(self.blocks)
                and all(isinstance(c, KVCache) for c in kv_cache)):
            raise TypeError(f"GPT: kv_cache must be a list of {len(self.blocks)} KVCache (one per block), from "
                            f"new_kv_cache(); got {type(kv_cache).__name__}")
        lengths = {len(c) for c in kv_cache}
        if len(lengths) > 1:
            raise ValueError(f"GPT: the blocks' caches hold different numbers of tokens {sorted(lengths)}; "
                             f"start again with new_kv_cache()")
        return lengths.pop()

    def generate(self, start: int, stop: int | None = None, *, temperature: float = 1.0,
                 rng: random.Random | None = None) -> list[int]:
        """Sample tokens after ``start`` one at a time (KV cache, no graph) until ``stop`` or block_size.

        Each next token is drawn from softmax(logits / temperature) with ``rng.choices``.  The
        result leaves out ``start`` and ``stop``.

        >>> model = GPT(vocab_size=5, block_size=4, n_embd=4, n_head=2, rng=random.Random(0))
        >>> len(model.generate(4, stop=4, rng=random.Random(1))) <= 4
        True
        """
        if not temperature > 0:
            raise ValueError(f"GPT.generate: temperature must be > 0, got {temperature!r}")
        rng = check_rng(rng, "GPT.generate")
        ids = range(self.vocab_size)
        cache, token, out = self.new_kv_cache(), start, []
        with no_grad():
            for _ in range(self.block_size):
                logits = self([token], kv_cache=cache)[0]
                probs = softmax([v * (1.0 / temperature) for v in logits])
                token = rng.choices(ids, weights=[p.data for p in probs])[0]
                if token == stop:
                    break
                out.append(token)
        return out

    def extra_repr(self) -> str:
        return ""
