"""Attention and the Transformer block: every token looks at every other token and takes a weighted mix.

A sequence of tokens is a list of vectors, ``[seq_len][embed_dim]``, with no batch
dimension.  ``scaled_dot_product_attention`` is the formula, ``MultiheadAttention`` adds
the learned projections and heads, and ``TransformerBlock`` wraps attention and a small MLP
in residual connections and norms.  Attention weights come back on request, so a
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

from .functional import activation as _activation_fn
from .functional import softmax
from .init import check_rng, xavier_uniform_
from .layers import Linear, _check_size
from .module import Module
from .norm import Dropout, LayerNorm, RMSNorm
from .shapes import Nested, expect_shape, flatten, values

__all__ = ["Embedding", "scaled_dot_product_attention", "MultiheadAttention", "MultiHeadAttention",
           "TransformerBlock", "KVCache"]

Vector = list[Value]


class Embedding(Module):
    """A lookup table: token index i -> the learned vector ``weight[i]``.

    NB: torch.nn.Embedding; ``weight`` is ``[num_embeddings][embedding_dim]``, drawn from
    N(0, 1) as in PyTorch.  Give one index for one vector, or a list of indices for a
    sequence of vectors.  The vectors returned are the table's own Values, so training
    moves the rows that were looked up.

    >>> emb = Embedding(4, 2, rng=random.Random(0))
    >>> emb(3) == emb.weight[3]
    True
    >>> len(emb([0, 1, 1]))
    3
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, rng: random.Random | None = None):
        self.num_embeddings = _check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _check_size("Embedding", "embedding_dim", embedding_dim)
        rng = check_rng(rng, "Embedding")
        self.weight = [[Value(rng.gauss(0.0, 1.0)) for _ in range(embedding_dim)] for _ in range(num_embeddings)]

    def forward(self, input: int | Sequence[int]) -> Vector | list[Vector]:
        if isinstance(input, (list, tuple)):
            return [self._row(i, f"input[{k}]") for k, i in enumerate(input)]
        return self._row(input, "input")

    def _row(self, i: object, what: str) -> Vector:
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
                         f"got {_short(mask)}")


def _short(x: object, limit: int = 80) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    q, k, v = values(query), values(key), values(value)
    columns = [list(col) for col in zip(*v)]
    zero = Value(0.0)
    outputs, weights = [], []
    for i, qi in enumerate(q):
        # Masked keys are left out of the softmax, which is what adding -inf to their scores does.
        allowed = [j for j in range(n_k) if (not is_causal or j <= i) and (attn_mask is None or attn_mask[i][j])]
        if not allowed:
            raise ValueError(f"{where}: query {i} may attend to no key at all (every entry of its mask row is "
                             f"masked), so its softmax has nothing to weigh")
        p = softmax([dot(qi, k[j]) * scale for j in allowed])
        outputs.append([dot(p, [col[j] for j in allowed]) for col in columns])
        if need_weights:
            row = [zero] * n_k
            for j, pj in zip(allowed, p):
                row[j] = pj
            weights.append(row)
    return (outputs, weights) if need_weights else outputs


class KVCache:
    """The projected keys and values of every token one attention layer has seen, for incremental decoding.

    Pass the same cache to each call: ``MultiheadAttention(x, kv_cache=cache)`` projects the new
    tokens' keys and values, appends them here, and lets the new queries attend to all of them.
    Writing one token at a time this way gives the same numbers as one forward over the whole
    sequence, without recomputing the old tokens.  ``len(cache)`` is how many tokens it holds.

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
        self.embed_dim = _check_size("MultiheadAttention", "embed_dim", embed_dim)
        self.num_heads = _check_size("MultiheadAttention", "num_heads", num_heads)
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
            past = n_k - n_q
            allowed = [[j <= past + i for j in range(n_k)] for i in range(n_q)] if is_causal else None
            is_causal = False
        else:
            key = query if key is None else key
            value = key if value is None else value
            n_k, _ = expect_shape(f"{where}: key", key, (None, e), ("source_len", "embed_dim"))
            expect_shape(f"{where}: value", value, (n_k, e), ("source_len", "embed_dim"))
            allowed = None
            if attn_mask is not None:
                _check_mask(where, attn_mask, n_q, n_k)
                allowed = [[not m for m in row] for row in attn_mask]
            q = self._project(values(query), range(0, e))
            k = self._project(values(key), range(e, 2 * e))
            v = self._project(values(value), range(2 * e, 3 * e))
        heads, head_weights = [], []
        for h in range(self.num_heads):
            cut = slice(h * self.head_dim, (h + 1) * self.head_dim)
            out, w = scaled_dot_product_attention([r[cut] for r in q], [r[cut] for r in k], [r[cut] for r in v],
                                                  allowed, is_causal, need_weights=True)
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


NORMS = {"layernorm": LayerNorm, "rmsnorm": RMSNorm}  # TransformerBlock's norm= choices


class TransformerBlock(Module):
    """One Transformer layer: self-attention and an MLP, each with a residual connection and a norm.

    NB: torch.nn.TransformerEncoderLayer (its argument and submodule names), without a batch.
    With ``norm_first=False`` (PyTorch's default, the original Transformer)::

        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    and with ``norm_first=True`` (GPT's order, easier to train)::

        x = x + dropout1(self_attn(norm1(x)))
        x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

    ``causal=True`` lets token i attend only to tokens 0..i.  ``dim_feedforward`` defaults to
    4 * d_model.  ``norm`` is ``'layernorm'`` (PyTorch's) or ``'rmsnorm'`` (GPT-style), with
    eps ``layer_norm_eps``; ``norm_affine=False`` gives the norms no learned scale or shift.
    ``bias=False`` leaves out every bias (attention, MLP and norms).
    ``forward(src, need_weights=False, kv_cache=None)`` returns the new sequence, or
    ``(output, weights)`` with the attention weights ``[seq_len][seq_len]`` (averaged over heads).
    With a ``KVCache`` (causal blocks) ``src`` is only the new tokens: see ``MultiheadAttention``.

    >>> block = TransformerBlock(4, nhead=2, dim_feedforward=8, rng=random.Random(0))
    >>> out, w = block([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], need_weights=True)
    >>> len(out), len(out[0]), len(w), len(w[0])
    (2, 4, 2, 2)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int | None = None, dropout: float = 0.0,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 causal: bool = False, bias: bool = True, norm: str = "layernorm", norm_affine: bool = True,
                 *, rng: random.Random | None = None):
        self.d_model = _check_size("TransformerBlock", "d_model", d_model)
        dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.dim_feedforward = _check_size("TransformerBlock", "dim_feedforward", dim_feedforward)
        self._act = _activation_fn(activation, "TransformerBlock: activation")
        self.activation = activation
        self.norm_first = bool(norm_first)
        self.causal = bool(causal)
        self.self_attn = MultiheadAttention(d_model, nhead, bias=bias, rng=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=rng)
        self.norm = norm
        self.norm1 = _make_norm(norm, d_model, layer_norm_eps, norm_affine, bias)
        self.norm2 = _make_norm(norm, d_model, layer_norm_eps, norm_affine, bias)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)

    def _attend(self, x: list[Vector], need_weights: bool, kv_cache: KVCache | None) -> tuple[list[Vector], list]:
        out, weights = self.self_attn(x, need_weights=need_weights, is_causal=self.causal, kv_cache=kv_cache)
        return self.dropout1(out), weights

    def _feed_forward(self, x: list[Vector]) -> list[Vector]:
        act = self._act
        out = []
        for token in x:
            hidden = self.linear1(token)
            if act is not None:
                hidden = [act(h) for h in hidden]
            out.append(self.linear2(self.dropout(hidden)))
        return self.dropout2(out)

    def forward(self, src: Nested, need_weights: bool = False, kv_cache: KVCache | None = None):
        expect_shape("TransformerBlock", src, (None, self.d_model), ("seq_len", "d_model"))
        x = values(src)
        if self.norm_first:
            attended, weights = self._attend(self.norm1(x), need_weights, kv_cache)
            x = _add(x, attended)
            x = _add(x, self._feed_forward(self.norm2(x)))
        else:
            attended, weights = self._attend(x, need_weights, kv_cache)
            x = self.norm1(_add(x, attended))
            x = self.norm2(_add(x, self._feed_forward(x)))
        return (x, weights) if need_weights else x

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, nhead={self.self_attn.num_heads}, dim_feedforward={self.dim_feedforward}, "
                f"norm_first={self.norm_first}, causal={self.causal}, norm={self.norm!r}")


def _make_norm(norm: str, d_model: int, eps: float, affine: bool, bias: bool) -> Module:
    if norm == "rmsnorm":
        return RMSNorm(d_model, eps=eps, elementwise_affine=affine)
    if norm == "layernorm":
        return LayerNorm(d_model, eps=eps, elementwise_affine=affine, bias=bias)
    raise ValueError(f"TransformerBlock: norm must be one of {', '.join(map(repr, NORMS))}, got {norm!r}")


def _add(a: list[Vector], b: list[Vector]) -> list[Vector]:
    """The residual connection: a + b, token by token and feature by feature."""
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
