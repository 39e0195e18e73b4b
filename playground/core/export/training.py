"""What one training step does in the script: the loss, the optimizer and its LR schedule, the
augmentation, the torchrun helpers and the step itself, each as the trainer has it."""

from __future__ import annotations

import textwrap

from playground.core import augment
from playground.core.datasets import DATASETS
from playground.core.export.context import _Context
from playground.core.export.writing import WIDTH, _fill, _literal, _more, _section, _source
from playground.core.losses import LOSSES
from playground.core.optimizers import OPTIMIZERS, optimizer_arguments, resolved_lr
from playground.core.schedules import SCHEDULES, schedule_params


# -- loss, optimizer, schedule ---------------------------------------------------------------------


def _loss_code(ctx: _Context) -> str:
    function = LOSSES[ctx.loss].function
    chunks = [_source(function), _fill('''
        def data_loss(out: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
            """The data loss of the outputs `out` for the targets `y`."""
            return $name(out, y, reduction)
    ''', name=function.__name__)]
    if ctx.exp.optim.l1:
        chunks.append(_fill('''
            def l1_penalty(model: nn.Module) -> torch.Tensor:
                """L1 regularization: L1 times the sum of |w| over the weights of the dense and conv
                layers (not the biases, not the norm layers' scales)."""
                weights = [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
                return L1 * sum(w.abs().sum() for w in weights)
        '''))
    if ctx.closure and ctx.exp.optim.weight_decay:
        chunks.append(_fill('''
            def l2_penalty(model: nn.Module) -> torch.Tensor:
                """L2 regularization for L-BFGS, which has no weight_decay of its own: half of
                WEIGHT_DECAY times the sum of squares of every parameter (its gradient: WEIGHT_DECAY * p)."""
                return 0.5 * WEIGHT_DECAY * sum((p * p).sum() for p in model.parameters())
        '''))
    return _section("loss", chunks)


def _optimizer_code(ctx: _Context) -> str:
    spec = ctx.exp.optim
    entry = OPTIMIZERS.entry(spec.name)
    arguments = optimizer_arguments(spec, resolved_lr(spec))
    names = {"lr": "LR", "weight_decay": "WEIGHT_DECAY" if spec.weight_decay else None}
    shown = {key: value for key, value in arguments.items() if key != "weight_decay" or spec.weight_decay}
    args = ", ".join(f"{key}={names.get(key) or _literal(value)}" for key, value in shown.items())
    params = "groups" if ctx.transfer is not None else "net.parameters()"
    call = f"torch.optim.{entry.value.torch_class}({params}, {args})"
    if len(f"    return {call}") > WIDTH:
        call = f"torch.optim.{entry.value.torch_class}(\n        {params}, {args},\n    )"
    if ctx.transfer is not None:
        optimizer = _fill('''
            def make_optimizer(groups: list[dict]) -> torch.optim.Optimizer:
                """$label on the parameter groups of param_groups(); each epoch sets a group's LR to the
                epoch's LR times its lr_scale."""
                return $call
        ''', label=entry.label, call=call)
    else:
        optimizer = _fill('''
            def make_optimizer(net: nn.Module) -> torch.optim.Optimizer:
                """$label on every parameter of the network."""
                return $call
        ''', label=entry.label, call=call)
    return _section("optimizer and learning-rate schedule", [optimizer, *_schedule_code(ctx)],
                    f"{entry.label}: {entry.tip}")


def _schedule_code(ctx: _Context) -> list[str]:
    """The schedule's function, pasted from its registry entry, and ``lr_factor(epoch, epochs)``
    around it: the playground's schedules.lr_factor for this schedule, as code."""
    spec = ctx.exp.schedule
    decay = SCHEDULES[spec.name]
    warm = spec.warmup_epochs
    params = "".join(f", {name}={_literal(getattr(spec, name))}" for name in schedule_params(spec.name))
    about = SCHEDULES.entry(spec.name).label
    if warm:
        about = (f"A linear warm-up over the first {warm} epochs (epoch e gets (e+1)/{warm} of LR), then "
                 f"{about[0].lower()}{about[1:]} counted from its end")
        body = [f"if epoch < {warm}:  # warm-up", f"    return (epoch + 1) / {warm}",
                f"return {decay.__name__}(epoch - {warm}, epochs - {warm}{params})  # t counts from the warm-up's end"]
    else:
        body = [f"return {decay.__name__}(epoch, epochs{params})"]
    doc = textwrap.fill(f"The share of LR used in `epoch` (0: the first) of a run of `epochs`. {about}.",
                        WIDTH - 8, subsequent_indent="    ")
    factor = _fill('''
        def lr_factor(epoch: int, epochs: int) -> float:
            """$doc"""
        ''', doc=doc) + textwrap.indent("\n".join(body), "    ") + "\n"
    return [_source(decay), factor]


# -- augmentation ----------------------------------------------------------------------------------


def _augment_code(ctx: _Context) -> str:
    if not ctx.augmenting:
        return ""
    spec = ctx.exp.data.augment
    if DATASETS[ctx.exp.data.name].kind == "points":
        steps = [(augment.add_noise, f"x = add_noise(x, {spec.jitter!r}, gen)", f"Gaussian jitter (std {spec.jitter})")]
    else:
        steps = [
            (augment.random_shift, f"x = random_shift(x, {spec.shift}, gen)", f"shifts of up to {spec.shift} px"),
            (augment.random_flip, "x = random_flip(x, gen)", "left-right flips"),
            (augment.add_noise, f"x = add_noise(x, {spec.noise!r}, gen)", f"pixel noise (std {spec.noise})"),
        ]
        steps = [s for s, on in zip(steps, (spec.shift > 0, spec.flip, spec.noise > 0)) if on]
    about = textwrap.fill("Random changes to every training batch, drawn fresh each step from their own "
                          "generator: " + ", ".join(s[2] for s in steps) + ".", WIDTH - 8, subsequent_indent="    ")
    apply = _fill('''
        def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
            """$about"""
        ''', about=about) + textwrap.indent("\n".join([s[1] for s in steps] + ["return x"]), "    ") + "\n"
    return _section("augmentation", [_source(s[0]) for s in steps] + [apply])


# -- the torchrun helpers and the training step ----------------------------------------------------

_DISTRIBUTED = '''
# -- data parallel (torchrun) ----------------------------------------------------------------------
# Under torchrun every process (rank) runs this script with its own copy of the network. Rank r
# takes examples r, r + world, r + 2 world, ... of each batch, so together the ranks cover the batch
# that a single process takes; DistributedDataParallel averages their gradients, and every copy
# makes the same update.


def start_distributed() -> tuple[int, int]:
    """(rank, world size): (0, 1) for a plain `python train.py`; under torchrun, join the others."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    dist.init_process_group("gloo")  # gloo: collectives on the CPU
    return dist.get_rank(), world


def stop_distributed(code: int) -> int:
    """Under torchrun: every rank waits for the others, then leaves at once with os._exit. Gloo's
    worker threads may still be freeing the last collective's tensors, which needs the GIL; once
    Python has begun to shut down, that thread aborts the process ("terminate called without an
    active exception": 1 run in 7 on a busy 2-core machine with torch 2.13, with or without
    destroy_process_group). Output is flushed first; nothing else is left to write."""
    if not (dist.is_available() and dist.is_initialized()):
        return code
    dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def mean_over_ranks(value: torch.Tensor) -> torch.Tensor:
    """The average of a number over the ranks; of batch_loss's scaled losses: the whole batch's loss."""
    total = value.detach().clone()
    dist.all_reduce(total)
    return total / dist.get_world_size()
'''


def _step_code(ctx: _Context) -> str:
    penalties = ["loss = loss + l1_penalty(model)"] if ctx.exp.optim.l1 else []
    if ctx.closure and ctx.exp.optim.weight_decay:
        penalties.append("loss = loss + l2_penalty(model)")
    if ctx.transfer is not None:
        return _section("training step", [_single_step_code(ctx, penalties)])
    batch_loss = _fill('''
        def batch_loss(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor, batch_size: int,
                       world: int) -> torch.Tensor:
            """The data loss of a batch of batch_size examples. Under torchrun xb and yb are this rank's
            share of it: the share's summed loss is scaled so that the average of the ranks' gradients
            (what DDP computes) is the gradient of the whole batch's loss."""
            if world == 1:
                return data_loss(model(xb), yb, REDUCTION)
            scale = world / batch_size if REDUCTION == "mean" else world
            return data_loss(model(xb), yb, "sum") * scale
    ''')
    if ctx.closure:
        step = _fill('''
            def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor,
                           yb: torch.Tensor, batch_size: int, world: int) -> float:
                """One L-BFGS step on the full batch; returns the loss before it. The line search calls
                closure() as often as it needs: the loss and its gradient at the current weights."""

                def closure() -> torch.Tensor:
                    optimizer.zero_grad(set_to_none=True)
                    loss = batch_loss(model, xb, yb, batch_size, world)$penalties
                    loss.backward()
                    return loss if world == 1 else mean_over_ranks(loss)

                return optimizer.step(closure).item()
        ''', penalties=_more(penalties, " " * 8))
    else:
        step = _fill('''
            def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor,
                           yb: torch.Tensor, batch_size: int, world: int) -> float:
                """One optimizer step on one batch; returns the batch's training loss before the step."""
                loss = batch_loss(model, xb, yb, batch_size, world)$penalties
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                value = loss.item() if world == 1 else mean_over_ranks(loss).item()
                if math.isfinite(value):
                    optimizer.step()
                return value
        ''', penalties=_more(penalties, " " * 4))
    return _section("training step", [batch_loss, step])


def _single_step_code(ctx: _Context, penalties: list[str]) -> str:
    """``train_step`` for a script that trains in one process (a transfer run's)."""
    if ctx.closure:
        return _fill('''
            def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor,
                           yb: torch.Tensor) -> float:
                """One L-BFGS step on the full batch; returns the loss before it. The line search calls
                closure() as often as it needs: the loss and its gradient at the current weights."""

                def closure() -> torch.Tensor:
                    optimizer.zero_grad(set_to_none=True)
                    loss = data_loss(model(xb), yb, REDUCTION)$penalties
                    loss.backward()
                    return loss

                return optimizer.step(closure).item()
        ''', penalties=_more(penalties, " " * 8))
    return _fill('''
        def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor,
                       yb: torch.Tensor) -> float:
            """One optimizer step on one batch; returns the batch's training loss before the step."""
            loss = data_loss(model(xb), yb, REDUCTION)$penalties
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            value = loss.item()
            if math.isfinite(value):
                optimizer.step()
            return value
    ''', penalties=_more(penalties, " " * 4))
