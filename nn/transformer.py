"""The Transformer block: self-attention and a small MLP, each wrapped in a residual connection and a norm.

>>> import random
>>> block = TransformerBlock(4, nhead=2, dim_feedforward=8, causal=True, rng=random.Random(0))
>>> len(block([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]))
2
"""

from __future__ import annotations

import random

from .attention import KVCache, MultiheadAttention, Vector
from .checks import check_size
from .functional import activation as _activation_fn
from .layers import Linear
from .module import Module
from .norm import Dropout, LayerNorm, RMSNorm
from .shapes import Nested, expect_shape, values

__all__ = ["TransformerBlock"]

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
        self.d_model = check_size("TransformerBlock: d_model", d_model)
        dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.dim_feedforward = check_size("TransformerBlock: dim_feedforward", dim_feedforward)
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
