"""The check before a script is handed out: its definitions run once and must give the playground's
own data, weights, freezing, optimizer, schedule, loss and augmentation."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import torch
from torch import nn

from playground.core.augment import augment_batch
from playground.core.datasets import DATASETS
from playground.core.errors import SpecError
from playground.core.export.context import _Context
from playground.core.losses import data_loss
from playground.core.optimizers import build_optimizer
from playground.core.schedules import lr_factor
from playground.core.transfer import frozen_children, param_groups


def _verify(script: str, ctx: _Context) -> None:
    """Run the script's definitions (not main) and compare them with the playground's own."""
    ns: dict = {"__name__": "exported_script"}
    exec(compile(script, "<exported script>", "exec"), ns)
    expected = (ctx.data.x_train, ctx.data.y_train, ctx.data.x_val, ctx.data.y_val)
    with contextlib.redirect_stdout(io.StringIO()):  # a folder's skipped files are printed
        made = ns["make_data"]()
    _check("data", all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(made, expected)))

    if ctx.transfer is not None:
        x = torch.as_tensor(ctx.data.x_train[:4])
        out = _verify_transfer(ns, ctx, x)
    else:
        torch.manual_seed(ctx.exp.train.seed)
        net = ns["build_model"]()
        _check_network(net, ctx.net)
        optimizer = ns["make_optimizer"](net)
        wanted = build_optimizer([{"params": list(ctx.net.parameters())}], ctx.exp.optim)
        _check("optimizer", type(optimizer) is type(wanted) and optimizer.defaults == wanted.defaults)
        x = torch.as_tensor(ctx.data.x_train[:64])
        with torch.no_grad():
            out = ctx.net(x)

    epochs = {ctx.exp.train.epochs, 1, 2, 5, 50}
    _check("learning-rate schedule", all(ns["lr_factor"](e, n) == lr_factor(ctx.exp.schedule, e, n)
                                         for n in epochs for e in range(min(n, 200))))

    y = torch.as_tensor(ctx.data.y_train[:len(x)])
    _check("loss", all(torch.equal(ns["data_loss"](out, y, reduction), data_loss(out, y, ctx.loss, reduction))
                       for reduction in ("mean", "sum")))

    if ctx.augmenting:
        info = DATASETS[ctx.exp.data.name]
        own_gen, their_gen = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
        _check("augmentation", torch.equal(ns["augment"](x, own_gen),
                                           augment_batch(x, ctx.exp.data.augment, info.kind, their_gen)))


def _check_network(net: nn.Module, theirs: nn.Module) -> None:
    own, their_state = net.state_dict(), theirs.state_dict()
    _check("network", repr(net) == repr(theirs))
    _check("initial weights", own.keys() == their_state.keys()
           and all(torch.equal(own[k], their_state[k]) for k in own))


def _verify_transfer(ns: dict, ctx: _Context, x: torch.Tensor) -> torch.Tensor:
    """The backbone and head, their initial (or loaded) weights, what each phase freezes, the parameter
    groups and the optimizer on them, and a forward pass; returns the playground's outputs for ``x``."""
    t = ctx.transfer
    theirs = t.model.net
    if not t.weights_checked:
        ns["PRETRAINED"] = False  # compared with the same network built with fresh weights
    torch.manual_seed(ctx.exp.train.seed)
    net = ns["build_model"]()
    _check_network(net, theirs)
    _check("backbone", list(net.backbone) == list(theirs.backbone))
    own_names = {id(p): name for name, p in net.named_parameters()}
    their_names = {id(p): name for name, p in theirs.named_parameters()}
    phases = (False, True) if ctx.exp.transfer.head_epochs > 0 else (True,)
    for phase_two in phases:
        net.lock(ns["frozen_children"](net, phase_two))
        theirs.lock(frozen_children(ctx.exp, t.plan, t.model.lockable, phase_two))
        _check("frozen blocks", net.frozen == theirs.frozen and all(
            p.requires_grad == q.requires_grad for p, q in zip(net.parameters(), theirs.parameters())))
        own_groups, their_groups = ns["param_groups"](net), param_groups(t.model, ctx.exp)
        _check("parameter groups", [([own_names[id(p)] for p in g["params"]], g["lr_scale"]) for g in own_groups]
               == [([their_names[id(p)] for p in g["params"]], g["lr_scale"]) for g in their_groups])
        optimizer = ns["make_optimizer"](own_groups)
        wanted = build_optimizer(their_groups, ctx.exp.optim)
        _check("optimizer", type(optimizer) is type(wanted) and optimizer.defaults == wanted.defaults)
    net.eval()
    theirs.eval()
    with torch.no_grad():
        out, their_out = net(x), theirs(x)
        _check("backbone's features", torch.equal(net.features(x), theirs.features(x)))
    _check("forward pass", torch.equal(out, their_out))
    return their_out


def _check(what: str, same: bool) -> None:
    if not same:
        raise SpecError("", f"export: the script's {what} would differ from the playground's, so no script was "
                            f"written (a bug in playground/core/export/)")
