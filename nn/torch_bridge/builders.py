"""One builder per chainrule module type: the torch.nn module of the same architecture, weights not yet copied.

A builder reads the layer's hyper-parameters (sizes, stride, eps, activation, ...) and
returns a torch module whose parameter tensors carry chainrule's names; ``convert`` builds
the children.  Types are matched exactly: a subclass may have changed ``forward``, so it is
refused rather than guessed at.  This module imports torch at the top.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .. import attention, conv, gpt, layers, norm, recurrent, transformer
from ..module import Module
from . import gpt_config, mirrors

__all__ = ["BUILDERS"]

Convert = Callable[[Module], torch.nn.Module]


def _neuron(m: layers.Neuron, convert: Convert) -> torch.nn.Module:
    return mirrors.Neuron(m.nin, m.activation)


def _layer(m: layers.Layer, convert: Convert) -> torch.nn.Module:
    return mirrors.Layer([convert(n) for n in m.neurons])


def _mlp(m: layers.MLP, convert: Convert) -> torch.nn.Module:
    return mirrors.MLP([convert(layer) for layer in m.layers])


def _linear(m: layers.Linear, convert: Convert) -> torch.nn.Module:
    return torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None)


def _sequential(m: layers.Sequential, convert: Convert) -> torch.nn.Module:
    return torch.nn.Sequential(*(convert(child) for child in m))


def _conv1d(m: conv.Conv1d, convert: Convert) -> torch.nn.Module:
    return torch.nn.Conv1d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, bias=m.bias is not None)


def _conv2d(m: conv.Conv2d, convert: Convert) -> torch.nn.Module:
    return torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, bias=m.bias is not None)


def _max_pool(m: conv.MaxPool2d, convert: Convert) -> torch.nn.Module:
    return torch.nn.MaxPool2d(m.kernel_size, m.stride, m.padding)


def _avg_pool(m: conv.AvgPool2d, convert: Convert) -> torch.nn.Module:
    # NB: chainrule's AvgPool2d counts the padding in the mean, as torch's default does.
    return torch.nn.AvgPool2d(m.kernel_size, m.stride, m.padding, count_include_pad=True)


def _flatten(m: conv.Flatten, convert: Convert) -> torch.nn.Module:
    return torch.nn.Flatten(m.start_dim, m.end_dim)


def _rnn_cell(m: recurrent.RNNCell, convert: Convert) -> torch.nn.Module:
    return torch.nn.RNNCell(m.input_size, m.hidden_size, bias=m.bias_ih is not None, nonlinearity=m.nonlinearity)


def _gated_cell(torch_class: type) -> Callable:
    def build(m, convert: Convert) -> torch.nn.Module:
        return torch_class(m.input_size, m.hidden_size, bias=m.bias_ih is not None)
    return build


def _rnn(m: recurrent.RNN, convert: Convert) -> torch.nn.Module:
    nonlinearity = m._cells[0].nonlinearity  # the cells are private to the RNN; the bridge is part of nn
    return torch.nn.RNN(m.input_size, m.hidden_size, m.num_layers, nonlinearity=nonlinearity, bias=m.bias)


def _gated_rnn(torch_class: type) -> Callable:
    def build(m, convert: Convert) -> torch.nn.Module:
        return torch_class(m.input_size, m.hidden_size, m.num_layers, bias=m.bias)
    return build


def _embedding(m: attention.Embedding, convert: Convert) -> torch.nn.Module:
    return torch.nn.Embedding(m.num_embeddings, m.embedding_dim)


def _layer_norm(m: norm.LayerNorm, convert: Convert) -> torch.nn.Module:
    return torch.nn.LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.weight is not None,
                              bias=m.bias is not None)


def _rms_norm(m: norm.RMSNorm, convert: Convert) -> torch.nn.Module:
    return torch.nn.RMSNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.weight is not None)


def _dropout(m: norm.Dropout, convert: Convert) -> torch.nn.Module:
    return torch.nn.Dropout(m.p)


def _attention(m: attention.MultiheadAttention, convert: Convert) -> torch.nn.Module:
    return mirrors.MultiheadAttention(m.embed_dim, m.num_heads, bias=m.in_proj_bias is not None)


def _with_children(shell: torch.nn.Module, m: Module, convert: Convert) -> torch.nn.Module:
    """``shell`` with each of its submodules replaced by the conversion of ``m``'s child of that name.

    So every child comes over as it is (its own eps, p, bias), not as the shell's defaults say.
    """
    for path, child in m.named_children():
        shell.get_submodule(path)  # raises AttributeError if the shell has no such child: never add one silently
        shell.set_submodule(path, convert(child))
    return shell


def _transformer_block(m: transformer.TransformerBlock, convert: Convert) -> torch.nn.Module:
    shell = mirrors.TransformerBlock(m.d_model, m.self_attn.num_heads, m.dim_feedforward, activation=m.activation,
                                     norm_first=m.norm_first, causal=m.causal, norm=m.norm)
    return _with_children(shell, m, convert)


def _gpt(m: gpt.GPT, convert: Convert) -> torch.nn.Module:
    return _with_children(mirrors.GPT(**gpt_config(m)), m, convert)


def _stateless(torch_class: type) -> Callable:
    def build(m, convert: Convert) -> torch.nn.Module:
        return torch_class()
    return build


BUILDERS: dict[type, Callable[[Module, Convert], torch.nn.Module]] = {
    layers.Neuron: _neuron,
    layers.Layer: _layer,
    layers.MLP: _mlp,
    layers.Linear: _linear,
    layers.Sequential: _sequential,
    layers.ReLU: _stateless(torch.nn.ReLU),
    layers.Tanh: _stateless(torch.nn.Tanh),
    layers.Sigmoid: _stateless(torch.nn.Sigmoid),
    conv.Conv1d: _conv1d,
    conv.Conv2d: _conv2d,
    conv.MaxPool2d: _max_pool,
    conv.AvgPool2d: _avg_pool,
    conv.Flatten: _flatten,
    recurrent.RNNCell: _rnn_cell,
    recurrent.LSTMCell: _gated_cell(torch.nn.LSTMCell),
    recurrent.GRUCell: _gated_cell(torch.nn.GRUCell),
    recurrent.RNN: _rnn,
    recurrent.LSTM: _gated_rnn(torch.nn.LSTM),
    recurrent.GRU: _gated_rnn(torch.nn.GRU),
    attention.Embedding: _embedding,
    norm.LayerNorm: _layer_norm,
    norm.RMSNorm: _rms_norm,
    norm.Dropout: _dropout,
    attention.MultiheadAttention: _attention,
    transformer.TransformerBlock: _transformer_block,
    gpt.GPT: _gpt,
}
