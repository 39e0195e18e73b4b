"""``playground export``: one experiment as a standalone PyTorch script that a student can read and run.

The script reproduces ``playground run`` on the CPU with nothing but torch and numpy: the data come
from the playground's own generator, feature and preprocessing functions (pasted with
``inspect.getsource``; the digits images are embedded), the network is written out module by module
and built in the same order, then initialised with the same ``nn.init`` calls, and the optimizer,
schedule, loss, batch order and augmentation are the trainer's. So it prints the trainer's losses.
Under ``torchrun`` it trains data-parallel (DistributedDataParallel on gloo).

Each ``_..._code`` function below writes one section of the script. Before returning,
``export_script`` runs the script's definitions once and compares their data, initial weights,
optimizer, schedule, loss and augmentation with the playground's own: a choice the exporter would
write wrongly fails here, with a ``SpecError``, instead of in a student's hands.
"""

from __future__ import annotations

import base64
import inspect
import json
import string
import textwrap
import zlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.core import augment, data as data_module
from playground.core.augment import augment_batch, augment_enabled
from playground.core.data import PreparedData, prepare_data
from playground.core.datasets import DATASETS, load_digits
from playground.core.features import FEATURES
from playground.core.errors import SpecError
from playground.core.initializers import INITIALIZERS, Gain
from playground.core.losses import LOSSES, data_loss, resolved_loss
from playground.core.model import build_model
from playground.core.optimizers import OPTIMIZERS, build_optimizer, optimizer_arguments, resolved_lr
from playground.core.plan import BlockPlan
from playground.core.schedules import SCHEDULES, lr_factor, schedule_params
from playground.core.spec import Experiment

WIDTH = 100  # the script's line length


@dataclass
class _Context:
    """The experiment with every choice resolved, and the playground's own data and model for it."""

    exp: Experiment
    data: PreparedData
    net: nn.Sequential
    plans: list[BlockPlan]
    loss: str  # "cross_entropy" or "mse"
    full_batch: bool  # one step per epoch on the whole training set, no batch order drawn
    closure: bool  # L-BFGS: a full-batch optimizer stepping with a closure
    augmenting: bool


def export_script(exp: Experiment, script_name: str = "train.py") -> str:
    """The script's text; raises ``SpecError`` for anything it cannot reproduce exactly."""
    with torch.random.fork_rng(devices=[]):  # building the reference model draws from torch's RNG
        ctx = _context(exp)
        chunks = [
            _header(ctx, script_name), _imports(ctx), _settings(ctx), _data_code(ctx), _model_code(ctx),
            _loss_code(ctx), _optimizer_code(ctx), _augment_code(ctx), _DISTRIBUTED, _step_code(ctx),
            _evaluation_code(ctx), _main_code(ctx), _ARGS, _digits_blob(ctx), _MAIN_GUARD,
        ]
        script = _join(chunks)
        _verify(script, ctx)
    return script


def _context(exp: Experiment) -> _Context:
    info = DATASETS[exp.data.name]
    if info.kind == "image" and exp.data.name != "digits":
        raise SpecError("data.name", f"export can embed the digits images only, not {exp.data.name!r}")
    data = prepare_data(exp.data)
    torch.manual_seed(exp.train.seed)
    net, plans = build_model(exp.model, data.input_shape, max(info.num_classes, 1))
    closure = OPTIMIZERS[exp.optim.name].full_batch
    full_batch = closure or exp.train.batch_size == 0 or exp.train.batch_size >= len(data.x_train)
    return _Context(exp, data, net, plans, resolved_loss(exp, info.task), full_batch, closure,
                    augment_enabled(exp.data.augment, info.kind))


# -- small helpers for writing code ----------------------------------------------------------------


def _fill(template: str, **values) -> str:
    """A dedented code template with ``$name`` filled in (``$`` leaves the generated f-strings alone)."""
    return string.Template(textwrap.dedent(template).strip("\n")).substitute(values) + "\n"


def _comment(text: str, width: int = WIDTH - 2) -> str:
    """Text as ``#`` lines, wrapped, keeping its own line breaks."""
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width - 2) or [""]
    return "\n".join(f"# {line}".rstrip() for line in lines)


def _rule(title: str, about: str = "") -> str:
    """A ``# -- title ----`` rule, then an optional explanation."""
    rule = f"# -- {title} ".ljust(WIDTH - 1, "-")
    return rule + ("\n" + _comment(about) if about else "")


def _section(title: str, chunks: list[str], about: str = "") -> str:
    """A rule, then the section's definitions."""
    return _rule(title, about) + "\n\n\n" + _join(chunks)


def _join(chunks: list[str]) -> str:
    """Top-level definitions, two blank lines apart."""
    return "\n\n\n".join(chunk.strip("\n") for chunk in chunks if chunk) + "\n"


def _source(function) -> str:
    """A playground function as it is written (the pasted functions use only np, math and torch)."""
    return textwrap.dedent(inspect.getsource(function))


def _literal(value) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


# -- header, imports, settings ---------------------------------------------------------------------


def _header(ctx: _Context, name: str) -> str:
    exp = ctx.exp
    paragraphs = [
        (f"Experiment {json.dumps(exp.title, ensure_ascii=False)}\n" if exp.title else "")
        + "A standalone script exported from the neural network playground by `playground export`.",
        "It reproduces `playground run` of the experiment below on the CPU: the same data, initial weights, "
        "batch order, updates and learning rates, so the losses it prints are the ones in the playground's "
        "metrics.jsonl. It needs only torch and numpy.",
        "Run it:\n"
        f"    {f'python {name}':40} # the experiment's {exp.train.epochs} epochs\n"
        f"    {f'python {name} --epochs 5 --seed 1':40} # 5 epochs from other initial weights\n"
        f"    {f'torchrun --nproc_per_node=2 {name}':40} # data-parallel on 2 CPU processes (DDP, gloo)",
        *([exp.description] if exp.description else []),
        'The experiment (the playground\'s JSON; remove the leading "# " to load it again):',
    ]
    json_lines = [f"# {line}".rstrip() for line in exp.to_json().splitlines()]
    return _comment("\n\n".join(paragraphs)) + "\n" + "\n".join(json_lines)


def _imports(ctx: _Context) -> str:
    digits = ctx.exp.data.name == "digits"
    stdlib = ["argparse", "base64" if digits else "", "math", "os", "sys", "zlib" if digits else ""]
    plain = "".join(f"import {module}\n" for module in stdlib if module)
    return "from __future__ import annotations\n\n" + plain + _fill("""
        from collections import OrderedDict

        import numpy as np
        import torch
        import torch.distributed as dist
        import torch.nn.functional as F
        from torch import nn
        from torch.nn.parallel import DistributedDataParallel
    """)


def _settings(ctx: _Context) -> str:
    exp, info = ctx.exp, DATASETS[ctx.exp.data.name]
    n_samples = exp.data.n_samples if exp.data.n_samples is not None else info.default_samples
    rows = [
        ("DATA_SEED", exp.data.seed, "seeds the data generator and the train/validation split"),
        ("N_SAMPLES", n_samples, "images to use" if info.kind == "image" else "points to generate"),
        ("NOISE", exp.data.noise, "ignored by digits" if info.kind == "image" else "label noise (TF Playground's)"),
        ("VAL_FRACTION", exp.data.val_fraction, "share of the data held out for validation"),
        ("SEED", exp.train.seed, "seeds the initial weights, batch order and dropout (augmentation: SEED + 1)"),
        ("EPOCHS", exp.train.epochs, ""),
        ("BATCH_SIZE", None if ctx.full_batch else exp.train.batch_size, "examples per step"),
        ("LR", resolved_lr(exp.optim), "the base learning rate; lr_factor() scales it each epoch"),
        ("REDUCTION", exp.train.reduction, "of the batch's training loss: 'mean' or 'sum' over its examples"),
        ("L1", exp.optim.l1 or None, "strength of the L1 penalty, added to the loss"),
        ("WEIGHT_DECAY", exp.optim.weight_decay or None, "strength of L2 regularization"),
    ]
    lines = [f"{name} = {_literal(value)}" + (f"  # {note}" if note else "") for name, value, note in rows
             if value is not None]
    return _rule("the experiment's settings") + "\n" + "\n".join(lines)


# -- data ------------------------------------------------------------------------------------------


def _data_code(ctx: _Context) -> str:
    exp, info = ctx.exp, DATASETS[ctx.exp.data.name]
    chunks = [_DIGITS_LOADER] if info.kind == "image" else []
    chunks.append(_source(info.generate))
    features = [FEATURES[name] for name in exp.data.features] if info.kind == "points" else []
    chunks += [_source(f) for f in dict.fromkeys(features)]
    chunks.append(_source(data_module.split_indices))
    if exp.data.preprocess != "none":
        chunks += [_source(data_module.fit_preprocess), _source(data_module.apply_preprocess)]
    chunks.append(_make_data(ctx, info.generate.__name__, [f.__name__ for f in features]))
    about = ("The playground's own functions, pasted: the generator, the input features, the split and the "
             "preprocessing. make_data() calls them in the playground's order, so one seeded numpy generator "
             "gives the same arrays.")
    return _section("data", chunks, about)


def _make_data(ctx: _Context, generator: str, features: list[str]) -> str:
    spec = ctx.exp.data
    lines = [
        "rng = np.random.default_rng(DATA_SEED)  # one generator: first the data, then the split",
        f"samples, targets = {generator}(N_SAMPLES, NOISE, rng)",
        "train, val = split_indices(len(targets), VAL_FRACTION, rng)",
    ]
    if features:
        columns = ", ".join(f"{name}(points)" for name in features)
        lines += [
            "points = samples.astype(np.float32).astype(np.float64)  # stored as float32, as the playground does",
            "# one column per input feature",
            f"inputs = np.stack([{columns}], axis=1)",
        ]
        if len(lines[-1]) > WIDTH - 4:
            lines[-1:] = ["inputs = np.stack([", *(f"    {name}(points)," for name in features), "], axis=1)"]
    else:
        lines.append("inputs = samples  # (n, 1, 8, 8) pixels 0..16")
    if spec.preprocess == "none":
        lines.append("x = inputs.astype(np.float32)  # no preprocessing")
    else:
        lines += [
            f'mean, std = fit_preprocess("{spec.preprocess}", inputs[train])  # fitted on the training split',
            "x = apply_preprocess(inputs, mean, std)",
        ]
    classes = DATASETS[spec.name].task == "classification"
    lines += ["y = targets.astype(np.int64)  # class labels" if classes else "y = targets.astype(np.float32)",
              "return x[train], y[train], x[val], y[val]"]
    return _fill('''
        def make_data() -> tuple[np.ndarray, ...]:
            """(x_train, y_train, x_val, y_val) as numpy arrays, made as the playground makes them."""
        ''') + textwrap.indent("\n".join(lines), "    ") + "\n"


_DIGITS_LOADER = '''
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8 (N, 8, 8), pixels 0..16) and labels (uint8 (N,)), decoded from DIGITS at
    the end of this file: zlib-compressed bytes in base64, the images first, then the labels."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(DIGITS)), dtype=np.uint8)
    n = raw.size // 65  # 64 pixels and 1 label per image
    return raw[: n * 64].reshape(n, 8, 8), raw[n * 64:]
'''


def _digits_blob(ctx: _Context) -> str:
    if ctx.exp.data.name != "digits":
        return ""
    images, labels = load_digits()
    raw = images.astype(np.uint8).tobytes() + labels.astype(np.uint8).tobytes()
    text = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    lines = [text[i:i + WIDTH - 4] for i in range(0, len(text), WIDTH - 4)]
    about = (f"The {len(labels):,} handwritten digits (UCI, CC BY 4.0): {len(labels)} 8x8 uint8 images, then "
             f"{len(labels)} uint8 labels, zlib-compressed and base64-encoded. load_digits() decodes them.")
    return _rule("the digits data", about) + '\nDIGITS = """\n' + "\n".join(lines) + '\n"""'


# -- model -----------------------------------------------------------------------------------------


def _model_code(ctx: _Context) -> str:
    blocks = []
    for plan in ctx.plans:
        blocks += _block_lines(plan, getattr(ctx.net, plan.name))
    inits = []
    for plan in ctx.plans:
        if plan.type in ("dense", "conv", "out"):
            layer = f"net.{plan.name}" if plan.type == "out" else f"net.{plan.name}.layer"
            inits += [_init_call(ctx, plan, f"{layer}.weight"), f"nn.init.zeros_({layer}.bias)"]
    code = _fill('''
        def build_model() -> nn.Sequential:
            """The network as the playground builds it: blocks $names.

            Every module is constructed first (each constructor draws default weights from torch's
            global generator), then the weights are initialised block by block, biases at 0: the
            playground's order, so the same seed gives the same initial weights."""
            net = nn.Sequential(OrderedDict(
        $blocks
            ))
        $inits
            return net
    ''', names=", ".join(p.name for p in ctx.plans), blocks=textwrap.indent("\n".join(blocks), " " * 8),
                 inits=textwrap.indent("\n".join(inits), " " * 4))
    return _section("model", [code])


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


def _init_call(ctx: _Context, plan: BlockPlan, weight: str) -> str:
    """The ``nn.init`` call that the model builder makes for this block's weight, from its registry entry."""
    entry = INITIALIZERS[plan.init]
    arguments = [f"{key}=nn.init.calculate_gain({_literal(value.nonlinearity)})" if isinstance(value, Gain)
                 else f"{key}={_literal(value)}" for key, value in entry.arguments(ctx.exp.model.init_std,
                                                                                   plan.activation).items()]
    return f"nn.init.{entry.function}({', '.join([weight, *arguments])})"


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
    call = f"torch.optim.{entry.value.torch_class}(net.parameters(), {args})"
    if len(f"    return {call}") > WIDTH:
        call = f"torch.optim.{entry.value.torch_class}(\n        net.parameters(), {args},\n    )"
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


# -- training --------------------------------------------------------------------------------------

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


def stop_distributed() -> None:
    """Every rank waits for the others, then leaves with its process. (destroy_process_group()
    here made gloo abort a rank in 5 of 20 runs on a busy 2-core machine, 0 of 20 without it.)"""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def mean_over_ranks(value: torch.Tensor) -> torch.Tensor:
    """The average of a number over the ranks; of batch_loss's scaled losses: the whole batch's loss."""
    total = value.detach().clone()
    dist.all_reduce(total)
    return total / dist.get_world_size()
'''


def _more(lines: list[str], indent: str) -> str:
    """Lines to append to a template line, each on its own line at ``indent`` (nothing for none)."""
    return "".join(f"\n{indent}{line}" for line in lines)


def _step_code(ctx: _Context) -> str:
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
    penalties = ["loss = loss + l1_penalty(model)"] if ctx.exp.optim.l1 else []
    if ctx.closure and ctx.exp.optim.weight_decay:
        penalties.append("loss = loss + l2_penalty(model)")
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


def _evaluation_code(ctx: _Context) -> str:
    classification = DATASETS[ctx.exp.data.name].task == "classification"
    accuracy = ("accuracy = (out.argmax(1) == y).float().mean().item()" if classification
                else "accuracy = None  # regression: no accuracy")
    code = _fill('''
        def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
            """Mean data loss and accuracy on a whole split, in eval mode (no dropout; batch norm uses its
            running statistics) and without regularization: the numbers the playground plots."""
            net.eval()
            with torch.no_grad():
                out = net(x)
                loss = data_loss(out, y, "mean").item()
                $accuracy
            net.train()
            return loss, accuracy


        def report(epoch: int, lr: float, net: nn.Module, x_train, y_train, x_val, y_val) -> None:
            """One line per epoch (epoch 0: the untrained network), named like the playground's metrics."""
            train_loss, train_acc = evaluate(net, x_train, y_train)
            val_loss, val_acc = evaluate(net, x_val, y_val) if len(x_val) else (None, None)
            line = f"epoch {epoch} train_loss {train_loss:.10g}"
            if val_loss is not None:
                line += f" val_loss {val_loss:.10g}"
            if train_acc is not None:
                line += f" train_acc {train_acc:.4f}"
            if val_acc is not None:
                line += f" val_acc {val_acc:.4f}"
            print(f"{line} lr {lr:.6g}", flush=True)
    ''', accuracy=accuracy)
    return _section("evaluation", [code])


def _main_code(ctx: _Context) -> str:
    """main(): the data, the seeded model, then the trainer's loop of epochs and batches."""
    steps = ["xb = augment(xb, augment_gen)  # a fresh random change of the batch"] if ctx.augmenting else []
    steps += [
        "if world > 1:  # this rank's share of the batch",
        "    xb, yb = xb[rank::world], yb[rank::world]",
        f"loss = train_step(model, optimizer, xb, yb, {'len(x_train)' if ctx.full_batch else 'len(idx)'}, world)",
        "if not math.isfinite(loss):",
        "    if rank == 0:",
        '        print(f"loss diverged (became {loss}) at step {step}, epoch {epoch + 1}")',
        "    stop_distributed()",
        "    return 3",
        "step += 1",
    ]
    if ctx.full_batch:
        batches = ["xb, yb = x_train, y_train  # full batch: one step on the whole training set", *steps]
        generators = []
    else:
        batches = [
            "# a new order every epoch, cut into batches",
            "order = torch.randperm(len(x_train), generator=batch_order, device=device)",
            "for idx in order.split(BATCH_SIZE):",
            "    xb, yb = x_train.index_select(0, idx), y_train.index_select(0, idx)",
            *("    " + line for line in steps),
        ]
        generators = ["batch_order = torch.Generator(device=device).manual_seed(args.seed)  # the batch order"]
    if ctx.augmenting:
        generators.append("augment_gen = torch.Generator(device=device).manual_seed(args.seed + 1)  # augmentation")
    hidden = [p for p in ctx.plans if p.type in ("dense", "conv")]
    note = []
    if any(p.norm == "batchnorm" or p.dropout > 0 for p in hidden):
        note = ['print("note: batch norm and dropout see each rank\'s share of a batch, so the losses differ "',
                '      "from a single process\'s", flush=True)']
    code = _fill('''
        def main() -> int:
            args = parse_args()
            rank, world = start_distributed()
            device = torch.device(args.device)
            x_train, y_train, x_val, y_val = (torch.as_tensor(a, device=device) for a in make_data())

            torch.manual_seed(args.seed)  # torch's global generator: the initial weights, then dropout
            net = build_model().to(device)
            model = net if world == 1 else DistributedDataParallel(net)  # DDP averages the ranks' gradients
            optimizer = make_optimizer(net)$generators
            if rank == 0:
                if world > 1:
                    print(f"training on {world} processes (DistributedDataParallel, gloo)", flush=True)$note
                report(0, LR * lr_factor(0, args.epochs), net, x_train, y_train, x_val, y_val)
            step = 0
            for epoch in range(args.epochs):
                lr = LR * lr_factor(epoch, args.epochs)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                net.train()$batches
                if rank == 0:
                    report(epoch + 1, lr, net, x_train, y_train, x_val, y_val)
            stop_distributed()
            return 0
    ''', generators=_more(generators, " " * 4), note=_more(note, " " * 12), batches=_more(batches, " " * 8))
    return _section("the training loop", [code])


_ARGS = '''
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the exported playground experiment.")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs (default {EPOCHS})")
    parser.add_argument("--device", default="cpu", help="cpu (default: the playground's numbers), cuda, mps")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the initial weights, batch order "
                        f"and dropout (default {SEED}); the data keep DATA_SEED")
    return parser.parse_args()
'''

_MAIN_GUARD = '''
if __name__ == "__main__":
    sys.exit(main())
'''


# -- the check -------------------------------------------------------------------------------------


def _verify(script: str, ctx: _Context) -> None:
    """Run the script's definitions (not main) and compare them with the playground's own."""
    ns: dict = {"__name__": "exported_script"}
    exec(compile(script, "<exported script>", "exec"), ns)
    expected = (ctx.data.x_train, ctx.data.y_train, ctx.data.x_val, ctx.data.y_val)
    _check("data", all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(ns["make_data"](), expected)))

    torch.manual_seed(ctx.exp.train.seed)
    net = ns["build_model"]()
    own, theirs = net.state_dict(), ctx.net.state_dict()
    _check("network", repr(net) == repr(ctx.net))
    _check("initial weights", own.keys() == theirs.keys() and all(torch.equal(own[k], theirs[k]) for k in own))

    optimizer = ns["make_optimizer"](net)
    wanted = build_optimizer([{"params": list(ctx.net.parameters())}], ctx.exp.optim)
    _check("optimizer", type(optimizer) is type(wanted) and optimizer.defaults == wanted.defaults)

    epochs = {ctx.exp.train.epochs, 1, 2, 5, 50}
    _check("learning-rate schedule", all(ns["lr_factor"](e, n) == lr_factor(ctx.exp.schedule, e, n)
                                         for n in epochs for e in range(min(n, 200))))

    x, y = torch.as_tensor(ctx.data.x_train[:64]), torch.as_tensor(ctx.data.y_train[:64])
    with torch.no_grad():
        out = ctx.net(x)
    _check("loss", all(torch.equal(ns["data_loss"](out, y, reduction), data_loss(out, y, ctx.loss, reduction))
                       for reduction in ("mean", "sum")))

    if ctx.augmenting:
        info = DATASETS[ctx.exp.data.name]
        own_gen, their_gen = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
        _check("augmentation", torch.equal(ns["augment"](x, own_gen),
                                           augment_batch(x, ctx.exp.data.augment, info.kind, their_gen)))


def _check(what: str, same: bool) -> None:
    if not same:
        raise SpecError("", f"export: the script's {what} would differ from the playground's, so no script was "
                            f"written (a bug in playground/core/export.py)")


__all__ = ["export_script"]
