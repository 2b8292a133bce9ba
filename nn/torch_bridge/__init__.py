"""Moving a model between chainrule and PyTorch: ``to_torch(model)`` and ``load_torch(model, source)``.

``to_torch`` returns the torch.nn module of the same architecture holding the same numbers
(float64 unless ``dtype=`` says otherwise); ``load_torch`` copies a torch module's weights
into a chainrule model.  Names line up: chainrule's parameter ``weight.1.2`` is element
``[1, 2]`` of torch's tensor ``weight``.  torch is an optional extra, imported only when one
of these is called: ``import nn`` never imports it.

>>> import random
>>> from nn import MLP, to_torch, load_torch
>>> model = MLP(2, [4, 1], rng=random.Random(0))
>>> net = to_torch(model)
>>> sorted(net.state_dict())[:2]
['layers.0.neurons.0.b', 'layers.0.neurons.0.w']
>>> import torch
>>> abs(net(torch.tensor([0.5, -1.0], dtype=torch.float64)).item() - model([0.5, -1.0]).data) < 1e-12
True
>>> copy = load_torch(MLP(2, [4, 1], rng=random.Random(1)), net)
>>> copy.state_dict() == model.state_dict()
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..module import Module

if TYPE_CHECKING:
    import torch

    from ..gpt import GPT

__all__ = ["to_torch", "load_torch", "gpt_config", "require_torch"]


def require_torch(where: str) -> None:
    """Raise an ImportError saying how to install PyTorch if it is missing (``where`` names what needs it).

    >>> require_torch("to_torch")  # torch is installed here: nothing happens
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ImportError(f"{where} needs PyTorch, an optional extra: pip install 'chainrule[torch]' "
                          f"(or pip install torch)") from None


def to_torch(model: Module, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The equivalent ``torch.nn.Module``: same architecture, same parameter values, same names.

    Maps every nn layer: Neuron/Layer/MLP (to torch modules of micrograd's layout), Linear,
    Sequential, ReLU/Tanh/Sigmoid, Conv1d/Conv2d, MaxPool2d/AvgPool2d, Flatten, the
    recurrent layers and cells, Embedding, LayerNorm, RMSNorm, Dropout, MultiheadAttention,
    TransformerBlock and GPT.  Any other module (a subclass too, since its forward may differ) is
    refused with a TypeError naming it.  ``dtype`` is a floating-point torch dtype
    (default ``torch.float64``, chainrule's precision).  Each module keeps its training
    or eval mode.  The torch module's ``state_dict()`` has one tensor per chainrule
    tensor-shaped parameter list: ``weight.0.0`` ... ``weight.1.2`` become ``weight``.

    >>> import random
    >>> from nn import Linear, to_torch
    >>> to_torch(Linear(3, 2, rng=random.Random(0))).weight.shape
    torch.Size([2, 3])
    """
    require_torch("to_torch")
    from .convert import to_torch as convert

    return convert(model, dtype)


def load_torch(model: Module, source: Any) -> Module:
    """Copy the weights of a torch module (or of its ``state_dict()``) into ``model``; returns ``model``.

    The architectures must match: every tensor the model needs, by name and shape, must be
    there, and nothing else.  Everything is checked before anything is written, so on a
    missing, unexpected or mis-shaped tensor the ValueError names them (the first eight of
    each kind) and the model is unchanged.  A DataParallel or DistributedDataParallel wrapper
    is looked inside.

    >>> import random, torch
    >>> from nn import Linear, load_torch
    >>> ours = load_torch(Linear(3, 2, rng=random.Random(0)), torch.nn.Linear(3, 2))
    >>> load_torch(ours, {'weight': torch.zeros(3, 2)})
    Traceback (most recent call last):
    ...
    ValueError: load_torch: cannot load into Linear, nothing was changed: missing tensor(s) 'bias' (2,); ...
    """
    require_torch("load_torch")
    from .convert import load_torch as load

    return load(model, source)


def gpt_config(model: GPT) -> dict[str, Any]:
    """The keyword arguments that build ``model``'s architecture again, as ``nn.GPT(**config)`` or in torch.

    Saved beside a torch ``state_dict()``, they make a checkpoint that ``torch.load`` reads
    without unpickling code (``demos.gpt --export`` writes one; see docs/pytorch.md).

    >>> import random
    >>> from nn import GPT
    >>> gpt_config(GPT(27, rng=random.Random(0)))
    {'vocab_size': 27, 'block_size': 16, 'n_embd': 16, 'n_head': 4, 'n_layer': 1, 'eps': 1e-05}
    """
    return {"vocab_size": model.vocab_size, "block_size": model.block_size, "n_embd": model.wte.embedding_dim,
            "n_head": model.blocks[0].self_attn.num_heads, "n_layer": len(model.blocks), "eps": model.norm.eps}
