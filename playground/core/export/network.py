"""The network as code: each block's modules as constructor calls, built in the model builder's order,
then the same ``nn.init`` calls, so that a seed gives the playground's initial weights."""

from __future__ import annotations

import string
import textwrap

from torch import nn

from playground.core.errors import SpecError
from playground.core.export.context import _Context
from playground.core.export.writing import _fill, _literal, _section, _shape
from playground.core.initializers import INITIALIZERS, Gain
from playground.core.plan import BlockPlan
from playground.core.spec import ModelSpec


_BUILD_DOC = """The network as the playground builds it: blocks $names.

    Every module is constructed first (each constructor draws default weights from torch's
    global generator), then the weights are initialised block by block, biases at 0: the
    playground's order, so the same seed gives the same initial weights."""


def _model_code(ctx: _Context) -> str:
    doc = string.Template(_BUILD_DOC).substitute(names=", ".join(p.name for p in ctx.plans))
    return _section("model", [_network_function("build_model", doc, ctx.plans, ctx.net, ctx.exp.model)])


def _network_function(name: str, doc: str, plans: list[BlockPlan], net: nn.Module, model: ModelSpec) -> str:
    """``def name() -> nn.Sequential``: the planned blocks' modules, then their init calls."""
    blocks = []
    for plan in plans:
        blocks += _block_lines(plan, getattr(net, plan.name))
    inits = []
    for plan in plans:
        if plan.type in ("dense", "conv", "out"):
            layer = f"net.{plan.name}" if plan.type == "out" else f"net.{plan.name}.layer"
            inits += [_init_call(model, plan, f"{layer}.weight"), f"nn.init.zeros_({layer}.bias)"]
    return _fill('''
        def $name() -> nn.Sequential:
            """$doc"""
            net = nn.Sequential(OrderedDict(
        $blocks
            ))
        $inits
            return net
    ''', name=name, doc=doc, blocks=textwrap.indent("\n".join(blocks), " " * 8),
                 inits=textwrap.indent("\n".join(inits), " " * 4))


def _block_lines(plan: BlockPlan, block: nn.Module) -> list[str]:
    shapes = f"  # {_shape(plan.in_shape)} -> {_shape(plan.out_shape)}"
    if plan.type not in ("dense", "conv"):
        return [f"{plan.name}={_module_call(block, plan)},{shapes}"]
    parts = [f"    {name}={_module_call(module, plan)}," for name, module in block.named_children()]
    return [f"{plan.name}=nn.Sequential(OrderedDict({shapes}", *parts, ")),"]


def _module_call(m: nn.Module, plan: BlockPlan) -> str:
    """The constructor call for one module (``_verify`` checks that it rebuilds the same repr)."""
    kind = type(m)
    if getattr(nn, kind.__name__, None) is not kind:
        raise SpecError(_layer_path(plan), f"export can write torch.nn modules only, not {kind.__name__}")
    if kind is nn.Linear:
        args = f"{m.in_features}, {m.out_features}"
    elif kind is nn.Conv2d:
        same = ', padding="same"' if m.padding == "same" else ""
        args = f"{m.in_channels}, {m.out_channels}, {m.kernel_size[0]}{same}"
    elif kind is nn.MaxPool2d:
        args = f"{m.kernel_size}"
    elif kind in (nn.BatchNorm1d, nn.BatchNorm2d):
        args = f"{m.num_features}"
    elif kind is nn.LayerNorm:
        args = ", ".join(map(str, m.normalized_shape))
    elif kind is nn.GroupNorm:
        args = f"{m.num_groups}, {m.num_channels}"
    elif kind in (nn.Dropout, nn.Dropout2d):
        args = repr(m.p)
    else:  # activations and Flatten, with their default settings
        args = ""
    return f"nn.{kind.__name__}({args})"


def _layer_path(plan: BlockPlan) -> str:
    return "model" if plan.spec_index is None else f"model.layers[{plan.spec_index}]"


def _init_call(model: ModelSpec, plan: BlockPlan, weight: str) -> str:
    """The ``nn.init`` call that the model builder makes for this block's weight, from its registry entry."""
    entry = INITIALIZERS[plan.init]
    arguments = [f"{key}=nn.init.calculate_gain({_literal(value.nonlinearity)})" if isinstance(value, Gain)
                 else f"{key}={_literal(value)}" for key, value in entry.arguments(model.init_std,
                                                                                   plan.activation).items()]
    return f"nn.init.{entry.function}({', '.join([weight, *arguments])})"
