"""Attention: every token looks at the other tokens and takes a weighted mix of them.

A sequence of tokens is a list of vectors, ``[seq_len][embed_dim]``, with no batch
dimension.  ``scaled_dot_product_attention`` is the formula and ``MultiheadAttention`` adds
the learned projections and heads (``nn.transformer.TransformerBlock`` wraps it and a small
MLP in residual connections and norms).  Attention weights come back on request, so a
demo can print who looks at whom.  A ``KVCache`` keeps the keys and values of the tokens
seen so far, so a model that writes one token at a time does not recompute them.

>>> from engine import Value
>>> q = [[1.0, 0.0]]                       # one query
>>> k = [[1.0, 0.0], [0.0, 1.0]]           # two keys: the first matches it
>>> v = [[10.0], [20.0]]
>>> out, weights = scaled_dot_product_attention(q, k, v, need_weights=True)
>>> [round(w.data, 4) for w in weights[0]]   # softmax([1, 0] / sqrt(2))
[0.6698, 0.3302]
>>> round(out[0][0].data, 4)
13.3024
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence

import engine
from engine import Value, dot

from .checks import check_size, short
from .functional import is_graph_index, softmax
from .init import check_rng, xavier_uniform_
from .layers import Linear
from .module import Module
from .shapes import Nested, expect_shape, flatten, values

__all__ = ["Embedding", "scaled_dot_product_attention", "MultiheadAttention", "MultiHeadAttention", "KVCache"]

Vector = list[Value]


class Embedding(Module):
    """A lookup table: token index i -> the learned vector ``weight[i]``.

    NB: torch.nn.Embedding; ``weight`` is ``[num_embeddings][embedding_dim]``, drawn from
    N(0, 1) as in PyTorch.  Give one index for one vector, or a list of indices for a
    sequence of vectors.  The vectors returned are the table's own Values, so training
    moves the rows that were looked up.  An index that is part of the graph (a Value, or
    an int ``engine.compile`` traces) gives ``engine.take`` nodes instead: the same numbers
    and gradients, and a compiled replay looks up the new token.

    >>> emb = Embedding(4, 2, rng=random.Random(0))
    >>> emb(3) == emb.weight[3]
    True
    >>> len(emb([0, 1, 1]))
    3
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, rng: random.Random | None = None):
        self.num_embeddings = check_size("Embedding: num_embeddings", num_embeddings)
        self.embedding_dim = check_size("Embedding: embedding_dim", embedding_dim)
        rng = check_rng(rng, "Embedding")
        self.weight = [[Value(rng.gauss(0.0, 1.0)) for _ in range(embedding_dim)] for _ in range(num_embeddings)]

    def forward(self, input: int | Sequence[int]) -> Vector | list[Vector]:
        if isinstance(input, (list, tuple)):
            return [self._row(i, f"input[{k}]") for k, i in enumerate(input)]
        return self._row(input, "input")

    def _row(self, i: object, what: str) -> Vector:
        if is_graph_index(i):  # a Value or engine.compile's traced int: the token id is part of the graph
            return [engine.take([row[c] for row in self.weight], i) for c in range(self.embedding_dim)]
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"Embedding: {what} must be a token index (an int), got {type(i).__name__} {i!r}")
        if not 0 <= i < self.num_embeddings:
            raise ValueError(f"Embedding: {what} = {i} is out of range; expected an index in "
                             f"0..{self.num_embeddings - 1} (num_embeddings={self.num_embeddings})")
        return list(self.weight[i])

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


def _check_mask(where: str, mask: object, rows: int, cols: int) -> None:
    """A boolean mask must be ``rows`` lists of ``cols`` True/False each."""
    ok = (isinstance(mask, (list, tuple)) and len(mask) == rows
          and all(isinstance(r, (list, tuple)) and len(r) == cols and all(isinstance(m, bool) for m in r)
                  for r in mask))
    if not ok:
        raise ValueError(f"{where}: attn_mask must be a [target_len={rows}][source_len={cols}] list of True/False, "
                         f"got {short(mask, 80)}")


def scaled_dot_product_attention(query: Nested, key: Nested, value: Nested, attn_mask: Nested | None = None,
                                 is_causal: bool = False, scale: float | None = None,
                                 *, need_weights: bool = False):
    """softmax(q . k / sqrt(d)) weighted sums of the values, one output vector per query.

    NB: torch.nn.functional.scaled_dot_product_attention, without a batch.  ``query`` is
    ``[target_len][d]``, ``key`` ``[source_len][d]``, ``value`` ``[source_len][d_v]``; the output
    is ``[target_len][d_v]``.  ``attn_mask`` is a ``[target_len][source_len]`` list of booleans,
    True where query i may look at key j (PyTorch's convention here); ``is_causal=True``
    lets query i look only at keys 0..i.  A masked weight is exactly 0.  With
    ``need_weights=True`` the result is ``(output, weights)``, weights ``[target_len][source_len]``.

    >>> x = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    >>> out, w = scaled_dot_product_attention(x, x, x, is_causal=True, need_weights=True)
    >>> [[round(p.data, 2) for p in row] for row in w]   # the first token sees only itself
    [[1.0, 0.0, 0.0], [0.33, 0.67, 0.0], [0.25, 0.25, 0.5]]
    """
    where = "scaled_dot_product_attention"
    n_q, d = expect_shape(f"{where}: query", query, (None, None), ("target_len", "d"))
    n_k, _ = expect_shape(f"{where}: key", key, (None, d), ("source_len", "d"))
    expect_shape(f"{where}: value", value, (n_k, None), ("source_len", "d_v"))
    if attn_mask is not None:
        _check_mask(where, attn_mask, n_q, n_k)
    scale = 1.0 / math.sqrt(d) if scale is None else float(scale)
    allowed = _allowed_keys(where, n_q, n_k, is_causal, attn_mask)
    outputs, weights = _attend(values(query), values(key), values(value), allowed, scale, need_weights)
    return (outputs, weights) if need_weights else outputs


def _allowed_keys(where: str, n_q: int, n_k: int, is_causal: bool, mask: Nested | None,
                  past: int = 0) -> list[list[int]]:
    """For each query i, the keys it may attend to: causal ones (j <= past + i) that the mask allows."""
    rows = []
    for i in range(n_q):
        row = [j for j in range(n_k) if (not is_causal or j <= past + i) and (mask is None or mask[i][j])]
        if not row:
            raise ValueError(f"{where}: query {i} may attend to no key at all (every entry of its mask row is "
                             f"masked), so its softmax has nothing to weigh")
        rows.append(row)
    return rows


def _attend(q: list[Vector], k: list[Vector], v: list[Vector], allowed: list[list[int]], scale: float,
            need_weights: bool) -> tuple[list[Vector], list | None]:
    """The formula on checked lists of Values: query i mixes the values of the keys ``allowed[i]``."""
    columns = [list(col) for col in zip(*v)]
    zero = Value(0.0)
    outputs, weights = [], []
    for qi, keys in zip(q, allowed):
        # Masked keys are left out of the softmax, which is what adding -inf to their scores does.
        p = softmax([dot(qi, k[j]) * scale for j in keys])
        outputs.append([dot(p, [col[j] for j in keys]) for col in columns])
        if need_weights:
            row = [zero] * len(k)
            for j, pj in zip(keys, p):
                row[j] = pj
            weights.append(row)
    return outputs, (weights if need_weights else None)


class KVCache:
    """The projected keys and values of every token one attention layer has seen, for incremental decoding.

    Pass the same cache to each call: ``MultiheadAttention(x, kv_cache=cache)`` projects the new
    tokens' keys and values, appends them here, and lets the new queries attend to all of them.
    Writing one token at a time this way gives the same numbers as one forward over the whole
    sequence, without recomputing the old tokens.  ``len(cache)`` is how many tokens it holds.
    The cached keys and values were computed with the weights of the time: after an
    optimizer step, start a new cache (or ``reset()`` it), as in PyTorch.

    >>> cache = KVCache()
    >>> len(cache), cache
    (0, KVCache(0 tokens))
    """

    def __init__(self) -> None:
        self.keys: list[Vector] = []
        self.values: list[Vector] = []

    def __len__(self) -> int:
        return len(self.keys)

    def reset(self) -> None:
        """Forget every token (start a new sequence)."""
        self.keys, self.values = [], []

    def __repr__(self) -> str:
        return f"KVCache({len(self)} tokens)"


class MultiheadAttention(Module):
    """Attention with learned projections, split into ``num_heads`` heads that each attend on their own.

    NB: torch.nn.MultiheadAttention, without a batch, with its parameter names:
    ``in_proj_weight`` (``[3 * embed_dim][embed_dim]``, the query, key and value projections
    stacked, Xavier-uniform), ``in_proj_bias`` (zeros) and ``out_proj`` (a Linear, bias zeros).
    Each head gets ``embed_dim // num_heads`` of the projected features.

    ``forward(query, key=None, value=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``; key and value
    default to the query (self-attention).  ``weights`` is ``[target_len][source_len]`` averaged
    over heads, or ``[num_heads][target_len][source_len]`` with ``average_attn_weights=False``,
    or None with ``need_weights=False``.  As in torch.nn.MultiheadAttention, True in a
    boolean ``attn_mask`` means the position may NOT be attended to (the opposite of
    ``scaled_dot_product_attention``'s convention).

    ``kv_cache=KVCache()`` (self-attention only) appends the new tokens' keys and values to the
    cache and attends over everything in it; with ``is_causal=True`` new token i sits at
    position ``len(cache) + i`` and sees the cached tokens and the new ones up to itself.

    >>> mha = MultiheadAttention(4, num_heads=2, rng=random.Random(0))
    >>> out, w = mha([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    >>> len(out), len(out[0]), round(sum(p.data for p in w[0]), 6)
    (2, 4, 1.0)
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, *, rng: random.Random | None = None):
        self.embed_dim = check_size("MultiheadAttention: embed_dim", embed_dim)
        self.num_heads = check_size("MultiheadAttention: num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads}")
        self.head_dim = embed_dim // num_heads
        weight = [[Value(0.0) for _ in range(embed_dim)] for _ in range(3 * embed_dim)]
        xavier_uniform_(flatten(weight), embed_dim, 3 * embed_dim, rng=rng)
        self.in_proj_weight = weight
        self.in_proj_bias = [Value(0.0) for _ in range(3 * embed_dim)] if bias else None
        out_proj = Linear(embed_dim, embed_dim, bias=bias, rng=rng)
        for b in out_proj.bias or []:
            b.data = 0.0
        self.out_proj = out_proj

    def _project(self, xs: list[Vector], rows: range) -> list[Vector]:
        """The rows ``rows`` of in_proj applied to each token: one dot node per feature (bias on a constant 1)."""
        if self.in_proj_bias is None:
            return [[dot(self.in_proj_weight[r], x) for r in rows] for x in xs]
        one = Value(1.0)
        weights = [self.in_proj_weight[r] + [self.in_proj_bias[r]] for r in rows]
        return [[dot(w, x1) for w in weights] for x1 in (x + [one] for x in xs)]

    def forward(self, query: Nested, key: Nested | None = None, value: Nested | None = None,
                need_weights: bool = True, attn_mask: Nested | None = None, average_attn_weights: bool = True,
                is_causal: bool = False, kv_cache: KVCache | None = None):
        where, e = "MultiheadAttention", self.embed_dim
        n_q, _ = expect_shape(f"{where}: query", query, (None, e), ("target_len", "embed_dim"))
        if kv_cache is not None:
            q, k, v = self._cached_projections(query, key, value, attn_mask, kv_cache)
            n_k = len(k)
            allowed = _allowed_keys(where, n_q, n_k, is_causal, None, past=n_k - n_q)
        else:
            key = query if key is None else key
            value = key if value is None else value
            n_k, _ = expect_shape(f"{where}: key", key, (None, e), ("source_len", "embed_dim"))
            expect_shape(f"{where}: value", value, (n_k, e), ("source_len", "embed_dim"))
            mask = None
            if attn_mask is not None:
                _check_mask(where, attn_mask, n_q, n_k)
                mask = [[not m for m in row] for row in attn_mask]
            allowed = _allowed_keys(where, n_q, n_k, is_causal, mask)
            q = self._project(values(query), range(0, e))
            k = self._project(values(key), range(e, 2 * e))
            v = self._project(values(value), range(2 * e, 3 * e))
        heads, head_weights = [], []
        scale = 1.0 / math.sqrt(self.head_dim)
        for h in range(self.num_heads):
            cut = slice(h * self.head_dim, (h + 1) * self.head_dim)
            out, w = _attend([r[cut] for r in q], [r[cut] for r in k], [r[cut] for r in v], allowed, scale,
                             need_weights)
            heads.append(out)
            head_weights.append(w)
        joined = [[x for out in heads for x in out[i]] for i in range(n_q)]  # heads side by side again
        output = [self.out_proj(x) for x in joined]
        if not need_weights:
            return output, None
        if not average_attn_weights:
            return output, head_weights
        if self.num_heads == 1:
            return output, head_weights[0]
        scale = 1.0 / self.num_heads
        averaged = [[engine.sum([w[i][j] for w in head_weights]) * scale for j in range(n_k)] for i in range(n_q)]
        return output, averaged

    def _cached_projections(self, query: Nested, key: object, value: object, attn_mask: object,
                            cache: KVCache) -> tuple[list[Vector], list[Vector], list[Vector]]:
        """The new tokens' queries, and every key and value in the cache once the new ones are appended."""
        if not isinstance(cache, KVCache):
            raise TypeError(f"MultiheadAttention: kv_cache must be a KVCache, got {type(cache).__name__}")
        if key is not None or value is not None or attn_mask is not None:
            raise ValueError("MultiheadAttention: kv_cache is for self-attention: give only the query (the new "
                             "tokens), no key, value or attn_mask")
        e, xs = self.embed_dim, values(query)
        q = self._project(xs, range(0, e))
        cache.keys.extend(self._project(xs, range(e, 2 * e)))
        cache.values.extend(self._project(xs, range(2 * e, 3 * e)))
        return q, cache.keys, cache.values

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


MultiHeadAttention = MultiheadAttention  # the name the course uses; PyTorch spells it MultiheadAttention
