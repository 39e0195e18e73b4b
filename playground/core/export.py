"""``playground export``: one experiment as a standalone PyTorch script that a student can read and run.

The script reproduces ``playground run`` on the CPU with torch and numpy: the data come from the
playground's own generator, feature and preprocessing functions (pasted with ``inspect.getsource``;
the digits images are embedded; a folder of images is read with Pillow as the playground reads it),
the network is written out module by module and built in the same order, then initialised with the
same ``nn.init`` calls, and the optimizer, schedule, loss, batch order and augmentation are the
trainer's. So it prints the trainer's losses. Under ``torchrun`` it trains data-parallel
(DistributedDataParallel on gloo).

A transfer run's script builds the backbone as the trainer does, from the same seed: a playground
checkpoint's source network written out like any other and its weights read with safetensors, or an
ImageNet network's architecture pasted from imagenet.py and torchvision's weights read from torch's
hub cache (their SHA-256 checked against the value embedded at export); then the head. It freezes
blocks, trains the head on cached features while the whole backbone is frozen, gives the open blocks
their share of the LR and opens them for phase two with a fresh optimizer. It trains in one process:
under torchrun it stops with a message.

Each ``_..._code`` function below writes one section of the script. Before returning,
``export_script`` runs the script's definitions once and compares their data, initial weights,
frozen blocks, parameter groups, optimizer, schedule, loss and augmentation with the playground's
own: a choice the exporter would write wrongly fails here, with a ``SpecError``, instead of in a
student's hands.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import inspect
import io
import json
import string
import textwrap
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from torch import nn

from playground.core import augment, data as data_module, datasets as datasets_module
from playground.core import image_folder, imagenet, transfer as transfer_module
from playground.core.augment import augment_batch, augment_enabled
from playground.core.backbones import (BACKBONES, STRATEGIES, Backbone, BackbonePlan, checkpoint_path,
                                       folder_format, open_blocks)
from playground.core.checkpoint_header import CheckpointError
from playground.core.data import FolderFormat, PreparedData, prepare_data
from playground.core.datasets import DATASETS, load_digits
from playground.core.download import DownloadError, WeightFile, cached_path, sha256_of
from playground.core.features import FEATURES
from playground.core.errors import SpecError
from playground.core.initializers import INITIALIZERS, Gain
from playground.core.losses import LOSSES, data_loss, resolved_loss
from playground.core.model import build_model
from playground.core.optimizers import OPTIMIZERS, build_optimizer, optimizer_arguments, resolved_lr
from playground.core.paths import resolve_path
from playground.core.plan import BlockPlan, activations_per_example
from playground.core.schedules import SCHEDULES, lr_factor, schedule_params
from playground.core.spec import Experiment, ModelSpec
from playground.core.transfer import TransferModel, build_transfer, frozen_children, param_groups
from playground.core.validate import MAX_STEP_ACTIVATIONS, backbone_activations

WIDTH = 100  # the script's line length


@dataclass
class _Transfer:
    """A transfer run's backbone as the script rebuilds it, and the playground's own network for it."""

    model: TransferModel  # built as the trainer builds it, from the same seed
    entry: Backbone
    pretrained: bool
    weights_checked: bool  # False: ImageNet weights not at hand when exporting; checked with fresh ones
    open: list[str]  # the backbone's children that train (from epoch head_epochs on)
    source_net: nn.Sequential | None  # a checkpoint backbone: its experiment's whole network
    source_plans: list[BlockPlan]
    head_plans: list[BlockPlan]
    file: Path | None  # a pretrained checkpoint backbone: the .safetensors file
    eval_chunk: int  # examples per evaluation pass, as the trainer takes them

    @property
    def plan(self) -> BackbonePlan:
        return self.model.backbone

    @property
    def imagenet(self) -> bool:
        return self.entry.kind == "imagenet"


@dataclass
class _Context:
    """The experiment with every choice resolved, and the playground's own data and model for it."""

    exp: Experiment
    data: PreparedData
    net: nn.Sequential
    plans: list[BlockPlan]  # a transfer run: the head's
    loss: str  # "cross_entropy" or "mse"
    full_batch: bool  # one step per epoch on the whole training set, no batch order drawn
    closure: bool  # L-BFGS: a full-batch optimizer stepping with a closure
    augmenting: bool
    folder: FolderFormat | None  # how a folder's images are read; None for generated data
    transfer: _Transfer | None


def export_script(exp: Experiment, script_name: str = "train.py") -> str:
    """The script's text; raises ``SpecError`` for anything it cannot reproduce exactly."""
    with torch.random.fork_rng(devices=[]):  # building the reference model draws from torch's RNG
        ctx = _context(exp)
        body = [
            _settings(ctx), _data_code(ctx), _model_code(ctx), _loss_code(ctx), _optimizer_code(ctx),
            _augment_code(ctx), "" if ctx.transfer else _DISTRIBUTED, _step_code(ctx), _evaluation_code(ctx),
            _main_code(ctx), _args_code(ctx), _digits_blob(ctx), _MAIN_GUARD,
        ]
        script = _join([_header(ctx, script_name), _imports(ctx, _join(body)), *body])
        _verify(script, ctx)
    return script


def _context(exp: Experiment) -> _Context:
    info = DATASETS[exp.data.name]
    folder = folder_format(exp) if exp.data.name == "folder" else None
    data = prepare_data(exp.data, folder)
    outputs = max(data.info.num_classes, 1)
    torch.manual_seed(exp.train.seed)
    transfer = _transfer(exp, outputs) if exp.transfer.enabled else None
    if transfer is not None:
        net, plans = transfer.model.net, transfer.head_plans
    else:
        net, plans = build_model(exp.model, data.input_shape, outputs)
    closure = OPTIMIZERS[exp.optim.name].full_batch
    full_batch = closure or exp.train.batch_size == 0 or exp.train.batch_size >= len(data.x_train)
    return _Context(exp, data, net, plans, resolved_loss(exp, info.task), full_batch, closure,
                    augment_enabled(exp.data.augment, info.kind), folder, transfer)


def _transfer(exp: Experiment, outputs: int) -> _Transfer:
    """The trainer's network for a transfer run (built from the seed set by the caller), and what the
    script needs to build it again."""
    entry = BACKBONES[exp.transfer.backbone]
    strategy = STRATEGIES[exp.transfer.strategy]
    reference, checked = exp, True
    if entry.kind == "imagenet" and strategy.pretrained and not _weights_at_hand(entry.weights):
        # Loading weights draws nothing: the same draws come from fresh weights, and the script's
        # loading code is checked whenever the file is at hand (the script itself downloads it).
        reference, checked = exp.with_changes({"transfer.strategy": "scratch"}), False
    try:
        model = build_transfer(reference, outputs)
    except (CheckpointError, DownloadError) as e:
        raise SpecError("transfer.path" if entry.kind == "checkpoint" else "transfer.backbone", str(e)) from None
    plan = model.backbone
    opened = [model.lockable[block] for block in open_blocks(exp.transfer, plan)]
    if opened and OPTIMIZERS[exp.optim.name].full_batch:
        raise SpecError("optim.name", f"{exp.optim.name} takes a single parameter group, and strategy "
                                      f"{exp.transfer.strategy} trains the backbone in a group of its own: choose "
                                      "another optimizer, or the linear_probe strategy")
    source_net, source_plans, file = None, [], None
    if entry.kind == "checkpoint":
        source = plan.source
        with torch.random.fork_rng(devices=[]):
            source_net, source_plans = build_model(source.model, plan.input_shape, plan.outputs)
        file = checkpoint_path(exp.transfer) if strategy.pretrained else None
    per_example = backbone_activations(plan) + activations_per_example(model.plans)
    return _Transfer(model, entry, strategy.pretrained, checked, opened, source_net, source_plans,
                     model.plans[len(plan.plans):], file, max(1, MAX_STEP_ACTIVATIONS // max(per_example, 1)))


def _weights_at_hand(weights: WeightFile) -> bool:
    """Whether the published file is in torch's hub cache, verified (so building reads no network)."""
    path = cached_path(weights)
    try:
        return path.stat().st_size == weights.size and sha256_of(path) == weights.sha256
    except OSError:
        return False


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


def _pasted(module: ModuleType, roots: list[str]) -> list[str]:
    """Top-level definitions of a playground module as they are written: ``roots`` and every function,
    class and constant of the module that they use, in the module's order (a constant with the
    comment above it). The pasted code may use only np, math, torch, nn and what it imports itself."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    defined: dict[str, ast.stmt] = {}
    body = ast.parse(source).body
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined[node.name] = node
        elif isinstance(node, ast.Assign):
            defined.update((target.id, node) for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            defined[node.target.id] = node
    needed: set[int] = set()
    todo = list(roots)
    while todo:
        node = defined.get(todo.pop())
        if node is None or id(node) in needed:
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            try:
                ast.literal_eval(node.value)
            except ValueError:
                raise SpecError("", f"export cannot paste {ast.unparse(node)[:60]!r} from {module.__name__}: "
                                    "not a constant (a bug in playground/core/export.py)") from None
        needed.add(id(node))
        todo += [name.id for name in ast.walk(node) if isinstance(name, ast.Name)]
    chunks = []
    for node in body:
        if id(node) not in needed:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            while start > 0 and lines[start - 1].startswith("#") and not lines[start - 1].startswith("# --"):
                start -= 1
        chunks.append("\n".join(lines[start:node.end_lineno]))
    return chunks


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _assignment(name: str, value, note: str) -> str:
    """``NAME = value  # note``; a note that does not fit goes above, a long list over several lines."""
    line = f"{name} = {_literal(value)}"
    if len(line) + len(note) + 4 <= WIDTH or not note and len(line) <= WIDTH:
        return line + (f"  # {note}" if note else "")
    above = _comment(note) + "\n" if note else ""
    if len(line) <= WIDTH or not isinstance(value, list):
        return above + line
    items = textwrap.wrap(", ".join(_literal(v) for v in value) + ",", WIDTH - 4, break_long_words=False,
                          break_on_hyphens=False)
    return above + f"{name} = [\n" + "\n".join(f"    {item}" for item in items) + "\n]"


def _doc(*paragraphs: str) -> str:
    """A docstring's text inside a function (its lines indented by 4), wrapped."""
    return "\n\n    ".join(textwrap.fill(p, WIDTH - 8, subsequent_indent="    ") for p in paragraphs)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


# -- header, imports, settings ---------------------------------------------------------------------


def _requirements(ctx: _Context) -> str:
    extra = []
    if ctx.transfer is not None and ctx.transfer.file is not None:
        extra.append("safetensors (to read the backbone's weights)")
    if ctx.folder is not None:
        extra.append("Pillow (to read the images)")
    if not extra:
        return "It needs only torch and numpy."
    return "It needs torch, numpy" + "".join(f", {e}" for e in extra[:-1]) + f" and {extra[-1]}."


def _header(ctx: _Context, name: str) -> str:
    exp, t = ctx.exp, ctx.transfer
    runs = [f"    {f'python {name}':40} # the experiment's {exp.train.epochs} epochs",
            f"    {f'python {name} --epochs 5 --seed 1':40} # 5 epochs from other initial weights"]
    if ctx.folder is not None:
        runs.append(f"    {f'python {name} --data FOLDER':40} # another folder, one subfolder per class")
    if t is not None and t.file is not None:
        runs.append(f"    {f'python {name} --backbone FILE':40} # another checkpoint of the backbone's network")
    if t is not None and t.imagenet and t.pretrained:
        runs.append(f"    {f'python {name} --weights FILE':40} # {t.entry.weights.name} from elsewhere")
    if t is None:
        runs.append(f"    {f'torchrun --nproc_per_node=2 {name}':40} # data-parallel on 2 CPU processes (DDP, gloo)")
    paragraphs = [
        (f"Experiment {json.dumps(exp.title, ensure_ascii=False)}\n" if exp.title else "")
        + "A standalone script exported from the neural network playground by `playground export`.",
        "It reproduces `playground run` of the experiment below on the CPU: the same data, initial weights, "
        "batch order, updates and learning rates, so the losses it prints are the ones in the playground's "
        "metrics.jsonl. " + _requirements(ctx),
        *([_transfer_about(ctx)] if t is not None else []),
        "Run it:\n" + "\n".join(runs),
        *([exp.description] if exp.description else []),
        'The experiment (the playground\'s JSON; remove the leading "# " to load it again):',
    ]
    json_lines = [f"# {line}".rstrip() for line in exp.to_json().splitlines()]
    return _comment("\n\n".join(paragraphs)) + "\n" + "\n".join(json_lines)


def _transfer_about(ctx: _Context) -> str:
    t, spec = ctx.transfer, ctx.exp.transfer
    strategy = STRATEGIES.entry(spec.strategy).label
    text = (f"Transfer learning, {strategy[0].lower()}{strategy[1:]}: the backbone is "
            f"{BACKBONES.entry(spec.backbone).label} up to its block {t.plan.cut}, and a head from the experiment's "
            "model.layers learns the classes.")
    if spec.head_epochs:
        text += (f" For the first {spec.head_epochs} epochs only the head trains; then "
                 + (f"{', '.join(t.open)} open, with a fresh optimizer." if t.open else "a fresh optimizer starts."))
    return text + " It trains in one process: torchrun is not supported for transfer runs."


def _imports(ctx: _Context, body: str) -> str:
    digits = ctx.exp.data.name == "digits"
    t = ctx.transfer
    hashing = t is not None and t.imagenet and t.pretrained
    stdlib = ["argparse", "base64" if digits else "", "hashlib" if hashing else "", "math", "os", "sys",
              "zlib" if digits else ""]
    plain = "".join(f"import {module}\n" for module in stdlib if module)
    froms = ["from collections import OrderedDict"]
    if ctx.folder is not None:
        froms.append("from pathlib import Path")
    if "Optional[" in body:
        froms.append("from typing import Optional")
    if t is None:
        return "from __future__ import annotations\n\n" + plain + "\n".join(froms) + "\n\n" + _fill("""
            import numpy as np
            import torch
            import torch.distributed as dist
            import torch.nn.functional as F
            from torch import nn
            from torch.nn.parallel import DistributedDataParallel
        """)
    third = ["import numpy as np", "import torch", "import torch.nn.functional as F"]
    if t.file is not None:
        third.append("from safetensors.torch import load_file")
    third.append("from torch import Tensor, nn" if t.imagenet else "from torch import nn")
    return ("from __future__ import annotations\n\n" + plain + "\n".join(froms) + "\n\n" + "\n".join(third) + "\n")


def _settings(ctx: _Context) -> str:
    exp, info, t = ctx.exp, DATASETS[ctx.exp.data.name], ctx.transfer
    spec = exp.data
    rows: list[tuple[str, object, str]] = []
    if ctx.folder is not None:
        fmt = ctx.folder
        rows += [
            ("DATA_SEED", spec.seed, "seeds the train/validation split"),
            ("DATA_PATH", str(resolve_path(spec.path).absolute()), "the folder of images, one subfolder per class "
                                                                   "(--data)"),
            ("IMAGE_CHANNELS", fmt.channels, "3: RGB, 1: grey"),
            ("IMAGE_SIZE", fmt.size, "pixels, square: what the network takes"),
            ("RESIZE", fmt.resize, "each image's shorter side is scaled to this, then its centre cut out"),
        ]
        if spec.classes is None:
            rows.append(("N_CLASSES", ctx.data.info.num_classes, "the folder's classes: the network's outputs"))
    else:
        n_samples = spec.n_samples if spec.n_samples is not None else info.default_samples
        what = ("points to generate" if info.kind == "points" else "images to use" if info.fixed_size
                else "images to draw")
        rows += [
            ("DATA_SEED", spec.seed, "seeds the data generator and the train/validation split"),
            ("N_SAMPLES", n_samples, what),
            ("NOISE", spec.noise,
             f"ignored by {spec.name}" if info.kind == "image" else "label noise (TF Playground's)"),
        ]
    if spec.classes is not None:
        rows.append(("CLASSES", spec.classes, "only these classes, relabelled 0, 1, ... in this order"))
    if spec.per_class is not None:
        rows.append(("PER_CLASS", spec.per_class, "few-shot: training examples per class; all others validate"))
    else:
        rows.append(("VAL_FRACTION", spec.val_fraction, "share of the data held out for validation"))
    rows += [
        ("SEED", exp.train.seed, "seeds the initial weights, batch order and dropout (augmentation: SEED + 1)"),
        ("EPOCHS", exp.train.epochs, ""),
        ("BATCH_SIZE", None if ctx.full_batch else exp.train.batch_size, "examples per step"),
        ("LR", resolved_lr(exp.optim), "the base learning rate; lr_factor() scales it each epoch"),
        ("REDUCTION", exp.train.reduction, "of the batch's training loss: 'mean' or 'sum' over its examples"),
        ("L1", exp.optim.l1 or None, "strength of the L1 penalty, added to the loss"),
        ("WEIGHT_DECAY", exp.optim.weight_decay or None, "strength of L2 regularization"),
    ]
    lines = [_assignment(name, value, note) for name, value, note in rows if value is not None]
    text = _rule("the experiment's settings") + "\n" + "\n".join(lines)
    if t is not None:
        text += "\n\n" + _transfer_settings(ctx)
    return text


def _transfer_settings(ctx: _Context) -> str:
    t, spec = ctx.transfer, ctx.exp.transfer
    strategy = spec.strategy
    rows: list[tuple[str, object, str]] = []
    if t.file is not None:
        rows.append(("BACKBONE_FILE", str(t.file.absolute()), "the playground checkpoint the backbone comes from "
                                                              "(--backbone)"))
    if t.imagenet and t.pretrained:
        weights = t.entry.weights
        rows += [("WEIGHTS_FILE", weights.name, "torchvision's ImageNet weights, in torch's hub cache (--weights)"),
                 ("WEIGHTS_URL", weights.url, "where they are downloaded from if missing"),
                 ("WEIGHTS_SHA256", weights.sha256, "the published file's checksum, checked before use")]
    if t.pretrained:
        rows.append(("PRETRAINED", True, f"{strategy}: start from the backbone's trained weights"))
    names = "torchvision's names" if t.imagenet else "the checkpoint's network's names"
    rows += [
        ("BACKBONE_BLOCKS", t.plan.names, f"the backbone: these blocks, up to transfer.cut ({names})"),
        ("OPEN_BLOCKS", t.open, f"{strategy}: the blocks that train"
         + (" from epoch HEAD_EPOCHS on" if spec.head_epochs else "") + "; the rest stay frozen"),
        ("BACKBONE_LR", 1.0 if not t.pretrained else spec.backbone_lr,
         "the open blocks' LR as a share of LR" + (" (scratch: all at LR)" if not t.pretrained else "")),
        ("HEAD_EPOCHS", spec.head_epochs, "two phases: the head trains alone this many epochs (0: one phase)"),
        ("EVAL_CHUNK", t.eval_chunk, "examples per evaluation pass, as the playground takes them"),
    ]
    lines = [_assignment(name, value, note) for name, value, note in rows]
    return "# transfer learning: the backbone, what trains, and when\n" + "\n".join(lines)


# -- data ------------------------------------------------------------------------------------------


def _data_code(ctx: _Context) -> str:
    exp, info = ctx.exp, DATASETS[ctx.exp.data.name]
    spec = exp.data
    chunks = [_DIGITS_LOADER] if spec.name == "digits" else []
    if ctx.folder is not None:
        chunks += _pasted(image_folder, ["IMAGE_SUFFIXES", "_read_image"])
        chunks.append(_FOLDER_LOADER)
    elif info.kind == "points" or spec.name == "digits":
        chunks.append(_source(info.generate))
    else:  # a generator with constants or helpers of its own module
        chunks += _pasted(datasets_module, [info.generate.__name__])
    features = [FEATURES[name] for name in spec.features] if info.kind == "points" else []
    chunks += [_source(f) for f in dict.fromkeys(features)]
    if spec.classes is not None:
        chunks.append(_ONLY_CLASSES)
    if spec.per_class is not None:
        chunks.append(_PER_CLASS_SPLIT)
    else:
        chunks.append(_source(data_module.split_indices))
    if spec.preprocess != "none":
        chunks += [_source(data_module.fit_preprocess), _source(data_module.apply_preprocess)]
    generator = info.generate.__name__ if info.generate else ""
    chunks.append(_make_data(ctx, generator, [f.__name__ for f in features]))
    if ctx.folder is not None:
        about = ("The folder's images are read as the playground reads them (its _read_image, pasted, and the "
                 "same order of classes and files), scaled to 0..1; then the playground's own split and "
                 "preprocessing, pasted. make_data() calls them in the playground's order, so one seeded numpy "
                 "generator gives the same arrays.")
    else:
        about = ("The playground's own functions, pasted: the generator, the input features, the split and the "
                 "preprocessing. make_data() calls them in the playground's order, so one seeded numpy generator "
                 "gives the same arrays.")
    return _section("data", chunks, about)


def _make_data(ctx: _Context, generator: str, features: list[str]) -> str:
    spec = ctx.exp.data
    info = DATASETS[spec.name]
    if ctx.folder is not None:
        lines = [
            "rng = np.random.default_rng(DATA_SEED)  # the split's generator (images are read, not drawn)",
            "pixels, targets, names = load_folder(path)",
        ]
        if spec.classes is None:
            lines += ["if len(names) != N_CLASSES:",
                      "    raise SystemExit(f\"{path} has {len(names)} classes ({', '.join(names)}); the network \"",
                      '                     f"was exported for {N_CLASSES}")']
        else:
            lines += ["if max(CLASSES) >= len(names):",
                      "    raise SystemExit(f\"{path} has {len(names)} classes ({', '.join(names)}); CLASSES \"",
                      '                     f"asks for class {max(CLASSES)} (counting from 0)")']
        lines.append("samples = pixels.astype(np.float32) / 255.0  # pixels 0..1")
    else:
        lines = [
            "rng = np.random.default_rng(DATA_SEED)  # one generator: first the data, then the split",
            f"samples, targets = {generator}(N_SAMPLES, NOISE, rng)",
        ]
        if spec.classes is not None or spec.per_class is not None:
            lines.append(f"names = [str(c) for c in range({info.num_classes})]  # each class's name: its number")
    if spec.classes is not None:
        lines.append("samples, targets, names = only_classes(samples, targets, names, CLASSES)")
    if spec.per_class is not None:
        lines.append("train, val = per_class_split(targets, len(names), PER_CLASS, rng, names)")
    else:
        lines.append("train, val = split_indices(len(targets), VAL_FRACTION, rng)")
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
        lines.append(f"inputs = samples  # {_image_note(ctx)}")
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
    signature = "make_data(path: str = DATA_PATH)" if ctx.folder is not None else "make_data()"
    return _fill('''
        def $signature -> tuple[np.ndarray, ...]:
            """(x_train, y_train, x_val, y_val) as numpy arrays, made as the playground makes them."""
        ''', signature=signature) + textwrap.indent("\n".join(lines), "    ") + "\n"


def _image_note(ctx: _Context) -> str:
    """What an image set's samples hold, for a comment."""
    name = ctx.exp.data.name
    if name == "digits":
        return "(n, 1, 8, 8) pixels 0..16"
    if name == "glyphs":
        return "(n, 1, 16, 16) ink 0..1, with pixel noise"
    return f"(n, {_shape(ctx.data.input_shape).replace('x', ', ')})" + (" pixels 0..1" if ctx.folder else "")


_DIGITS_LOADER = '''
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8 (N, 8, 8), pixels 0..16) and labels (uint8 (N,)), decoded from DIGITS at
    the end of this file: zlib-compressed bytes in base64, the images first, then the labels."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(DIGITS)), dtype=np.uint8)
    n = raw.size // 65  # 64 pixels and 1 label per image
    return raw[: n * 64].reshape(n, 8, 8), raw[n * 64:]
'''

_FOLDER_LOADER = '''
def load_folder(path: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every image of a folder with one subfolder per class, read as the playground reads them: the
    subfolders and their files in sorted order, leaving out names that start with a dot, folders
    inside a class folder, files without an image suffix and files Pillow cannot decode (printed); a
    subfolder without a usable image is no class. Returns the pixels as uint8 (N, IMAGE_CHANNELS,
    IMAGE_SIZE, IMAGE_SIZE), the labels (an index into the class names) and the class names."""
    mode = "RGB" if IMAGE_CHANNELS == 3 else "L"
    images, labels, classes = [], [], []
    for folder in sorted(Path(path).iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        pictures = []
        for file in sorted(folder.iterdir()):
            if file.name.startswith(".") or file.is_dir() or file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            picture = _read_image(file, mode, IMAGE_SIZE, RESIZE)
            if isinstance(picture, str):  # the reason it cannot be used
                print(f"note: skipped {folder.name}/{file.name}: {picture}", flush=True)
            else:
                pictures.append(picture)
        if pictures:
            images += pictures
            labels += [len(classes)] * len(pictures)
            classes.append(folder.name)
    if len(classes) < 2:
        raise SystemExit(f"{path} needs at least 2 subfolders with images (one per class); found {len(classes)}")
    return np.stack(images), np.array(labels, dtype=np.int64), classes
'''

_ONLY_CLASSES = '''
def only_classes(samples: np.ndarray, targets: np.ndarray, names: list[str], classes: list[int]):
    """The examples of the chosen classes only, relabelled 0, 1, ... in the order `classes` lists them."""
    keep = np.isin(targets, classes)
    relabel = np.zeros(max(len(names), 1), dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    return samples[keep], relabel[targets[keep]], [names[c] for c in classes]
'''

_PER_CLASS_SPLIT = '''
def per_class_split(labels: np.ndarray, classes: int, per_class: int, rng: np.random.Generator,
                    names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Few-shot: `per_class` random examples of each class train, every other one validates (one
    permutation of all examples; each class's first ones in it train). Both sorted."""
    order = rng.permutation(len(labels))
    train = []
    for c in range(classes):
        mine = order[labels[order] == c]
        if len(mine) <= per_class:
            raise SystemExit(f"class {names[c]} has {len(mine)} examples; {per_class} for training leaves none "
                             "to validate")
        train.append(mine[:per_class])
    chosen = np.concatenate(train)
    rest = np.setdiff1d(order, chosen, assume_unique=True)
    return np.sort(chosen), np.sort(rest)
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

_BUILD_DOC = """The network as the playground builds it: blocks $names.

    Every module is constructed first (each constructor draws default weights from torch's
    global generator), then the weights are initialised block by block, biases at 0: the
    playground's order, so the same seed gives the same initial weights."""


def _model_code(ctx: _Context) -> str:
    if ctx.transfer is not None:
        return _transfer_model_code(ctx)
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


# -- transfer learning: backbone, head, freezing ---------------------------------------------------


def _transfer_model_code(ctx: _Context) -> str:
    t = ctx.transfer
    backbone = _imagenet_code(ctx) if t.imagenet else _checkpoint_code(ctx)
    head_names = ", ".join(p.name for p in t.head_plans)
    head_doc = _doc(f"The head on the backbone's {_shape(t.plan.out_shape)} features: blocks {head_names}, from the "
                    "experiment's model.layers, built like any playground network: every module first, then "
                    "the init calls block by block, biases at 0.")
    head = _section("the head", [_network_function("build_head", head_doc, t.head_plans, ctx.net, ctx.exp.model)])
    return _join([backbone, head, _transfer_net_code(ctx)])


def _checkpoint_code(ctx: _Context) -> str:
    t = ctx.transfer
    source = t.plan.source
    names = ", ".join(p.name for p in t.source_plans)
    title = f" ({json.dumps(source.title, ensure_ascii=False)})" if source.title else ""
    doc = _doc(f"The network of the experiment that trained the backbone{title}, as the playground builds it: "
               f"blocks {names}. Its blocks up to {t.plan.cut} are the backbone; the others are built too, "
               "because the playground builds them (they draw from torch's generator) and the checkpoint "
               "holds their weights.")
    function = _network_function("build_source_network", doc, t.source_plans, t.source_net, source.model)
    where = f"the playground checkpoint {t.file.name}" if t.file is not None else "a playground checkpoint"
    about = (f"The backbone comes from {where}: its own experiment's network is written out here like any "
             "playground network, with the playground's block names, so the checkpoint's tensors load into it "
             "by name." + ("" if t.pretrained else " Strategy scratch: fresh weights, no file is read."))
    return _section("the backbone", [function], about)


def _imagenet_code(ctx: _Context) -> str:
    t = ctx.transfer
    name = ctx.exp.transfer.backbone
    chunks = _pasted(imagenet, [name, "backbone_blocks"])
    if t.pretrained:
        chunks += [_WEIGHTS_PATH, _fill(_LOAD_IMAGENET, name=name)]
    about = (f"{BACKBONES.entry(name).label}: torchvision's architecture, with its module names, creation order and "
             "initialisation, written with torch alone (pasted from the playground's imagenet.py), so that "
             "torchvision's published weights load into it and a seed draws torchvision's fresh weights."
             + ("" if t.pretrained else " Strategy scratch: fresh weights, no file is read."))
    return _section("the backbone", chunks, about)


_WEIGHTS_PATH = '''
def weights_path() -> str:
    """Where torchvision keeps WEIGHTS_FILE, and where the playground downloaded it: torch's hub cache
    ($TORCH_HOME/hub/checkpoints, by default ~/.cache/torch/hub/checkpoints)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints", WEIGHTS_FILE)
'''

_LOAD_IMAGENET = '''
def load_imagenet_weights(path: str) -> dict[str, torch.Tensor]:
    """torchvision's published ImageNet weights of $name, from `path` (downloaded from WEIGHTS_URL
    first if it is not there). Their SHA-256 checksum is checked before use: another or a damaged
    file would otherwise load as wrong weights, or fail deep inside torch.load."""
    if not os.path.exists(path):
        print(f"downloading {WEIGHTS_URL} to {path}", flush=True)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        torch.hub.download_url_to_file(WEIGHTS_URL, path, progress=False)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != WEIGHTS_SHA256:
        raise SystemExit(f"{path} is not the published {WEIGHTS_FILE}: its SHA-256 checksum is "
                         f"{digest.hexdigest()}, not {WEIGHTS_SHA256}. Delete it and run again.")
    return torch.load(path, map_location="cpu", weights_only=True)
'''


def _transfer_net_code(ctx: _Context) -> str:
    t = ctx.transfer
    chunks = _pasted(transfer_module, ["TransferNet"])
    if t.imagenet:
        name = ctx.exp.transfer.backbone
        arg = "weights_file: str | None = None" if t.pretrained else ""
        doc = _doc(f"The backbone's blocks {t.plan.names[0]} to {t.plan.cut} and a global average pooling, then "
                   "the head, in the playground's order: the whole ImageNet network with its own init"
                   + (", its published weights" if t.pretrained else "")
                   + ", then the head, so that a seed gives the playground's weights.")
        load = (["    if PRETRAINED:",
                 "        model.load_state_dict(load_imagenet_weights(weights_file or weights_path()), strict=True)"]
                if t.pretrained else [])
        features = t.plan.out_shape[0]
        body = [
            f"    model = {name}()  # torchvision's architecture and init, drawn from torch's generator",
            *load,
            f'    kept = dict(backbone_blocks("{name}", model))',
            "    # module names cannot hold dots: features.3 becomes features_3",
            '    blocks = OrderedDict((name.replace(".", "_"), kept[name]) for name in BACKBONE_BLOCKS)',
            f"    blocks[\"pool\"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # {features} features",
            "    backbone = list(blocks)",
            "    blocks.update(build_head().named_children())",
            "    return TransferNet(blocks, backbone)",
        ]
    else:
        arg = "backbone_file: str = BACKBONE_FILE" if t.pretrained else ""
        doc = _doc(f"The backbone's blocks {', '.join(t.plan.names)}, then the head, in the playground's order: "
                   "the whole source network with its own init"
                   + (", its trained weights" if t.pretrained else "")
                   + ", then the head, so that a seed gives the playground's weights.")
        load = (["    if PRETRAINED:  # strict: a tensor for every weight, by the blocks' names",
                 "        source.load_state_dict(load_file(backbone_file))"] if t.pretrained else [])
        body = [
            "    source = build_source_network()",
            *load,
            "    blocks = OrderedDict((name, getattr(source, name)) for name in BACKBONE_BLOCKS)",
            "    blocks.update(build_head().named_children())",
            "    return TransferNet(blocks, BACKBONE_BLOCKS)",
        ]
    build = _fill('''
        def build_model($arg) -> TransferNet:
            """$doc"""
        ''', arg=arg, doc=doc) + "\n".join(body) + "\n"
    helpers = _fill('''
        def frozen_children(net: TransferNet, phase_two: bool) -> list[str]:
            """The backbone's children that stay fixed: all of them in phase one, all but OPEN_BLOCKS in
            phase two (a block without parameters has nothing to train, and stays in eval mode too)."""
            return [name for name in net.backbone if not (phase_two and name in OPEN_BLOCKS)]


        def param_groups(net: TransferNet) -> list[dict]:
            """The head's parameters at the base LR, the open backbone blocks' at BACKBONE_LR of it; frozen
            parameters in no group. Each group's lr_scale says its share of the epoch's LR."""
            backbone = set(net.backbone)
            head = [p for name, m in net.named_children() if name not in backbone for p in m.parameters()]
            body = [p for name in net.backbone if name not in net.frozen
                    for p in net._modules[name].parameters()]
            groups = [{"params": head, "lr_scale": 1.0}]
            if body:
                groups.append({"params": body, "lr_scale": BACKBONE_LR})
            return groups
    ''')
    about = ("The playground's TransferNet, pasted: the backbone's blocks and the head's in one Sequential. Frozen "
             "blocks have requires_grad off and stay in eval mode whatever train() says, so their batch-norm "
             "statistics never move; while the whole backbone is frozen (and nothing is augmented) the head "
             "trains on the backbone's output computed once (features_cached).")
    return _section("the transfer network", [*chunks, build, helpers], about)


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


_REPORT = '''
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
'''


def _evaluation_code(ctx: _Context) -> str:
    classification = DATASETS[ctx.exp.data.name].task == "classification"
    if ctx.transfer is not None:
        count = "right += int((out.argmax(1) == ys).sum())" if classification else "pass  # regression: no accuracy"
        accuracy = "right / len(x)" if classification else "None"
        evaluate = _fill('''
            def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
                """Mean data loss and accuracy on a whole split, in eval mode (no dropout; batch norm uses its
                running statistics) and without regularization: the numbers the playground plots. Like the
                playground, EVAL_CHUNK examples at a time, each chunk's mean loss weighted by its size."""
                net.eval()
                loss_sum, right = 0.0, 0
                with torch.no_grad():
                    for start in range(0, len(x), EVAL_CHUNK):
                        xs, ys = x[start:start + EVAL_CHUNK], y[start:start + EVAL_CHUNK]
                        out = net(xs)
                        loss_sum += data_loss(out, ys, "mean").item() * len(xs)
                        $count
                net.train()
                return loss_sum / len(x), $accuracy
        ''', count=count, accuracy=accuracy)
    else:
        accuracy = ("accuracy = (out.argmax(1) == y).float().mean().item()" if classification
                    else "accuracy = None  # regression: no accuracy")
        evaluate = _fill('''
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
        ''', accuracy=accuracy)
    return _section("evaluation", [evaluate, _REPORT])


def _data_arg(ctx: _Context) -> str:
    return "args.data" if ctx.folder is not None else ""


def _main_code(ctx: _Context) -> str:
    """main(): the data, the seeded model, then the trainer's loop of epochs and batches."""
    if ctx.transfer is not None:
        return _transfer_main_code(ctx)
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
    batches, generators = _batch_lines(ctx, steps)
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
            x_train, y_train, x_val, y_val = (torch.as_tensor(a, device=device) for a in make_data($data))

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
    ''', data=_data_arg(ctx), generators=_more(generators, " " * 4), note=_more(note, " " * 12),
                 batches=_more(batches, " " * 8))
    return _section("the training loop", [code])


def _batch_lines(ctx: _Context, steps: list[str]) -> tuple[list[str], list[str]]:
    """An epoch's batches (each running ``steps``), and the generators they draw from."""
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
    return batches, generators


def _transfer_main_code(ctx: _Context) -> str:
    """main() of a transfer run: one process; the backbone frozen as the strategy says, its features
    cached while nothing in it trains, phase two opening OPEN_BLOCKS with a fresh optimizer."""
    t, spec = ctx.transfer, ctx.exp.transfer
    two_phases = spec.head_epochs > 0
    cache = not ctx.augmenting and (two_phases or not t.open)  # the whole backbone frozen at the start
    uncache = cache and two_phases and bool(t.open)  # ... and not after phase two opens blocks
    steps = ["xb = augment(xb, augment_gen)  # a fresh random change of the batch"] if ctx.augmenting else []
    steps += [
        "loss = train_step(net, optimizer, xb, yb)",
        "if not math.isfinite(loss):",
        '    print(f"loss diverged (became {loss}) at step {step}, epoch {epoch + 1}")',
        "    return 3",
        "step += 1",
    ]
    batches, generators = _batch_lines(ctx, steps)
    if two_phases:
        setup = ["phase_two = False  # phase one: the head trains alone for HEAD_EPOCHS epochs",
                 "net.lock(frozen_children(net, phase_two))"]
    else:
        setup = ["net.lock(frozen_children(net, phase_two=True))  # one phase: "
                 + ("OPEN_BLOCKS train from the start" if t.open else "the whole backbone stays frozen")]
    if cache:
        setup += ["# Every backbone block is frozen, so the backbone's output never changes: compute it once and",
                  "# train the head on it (a TransferNet with features_cached skips its backbone).",
                  "x_train, x_val = net.features(x_train), net.features(x_val)",
                  "net.features_cached = True"]
    if ctx.augmenting and (two_phases or not t.open):
        setup += ["# the backbone is frozen, but every batch is augmented: the images go through it each step"]
    phase = []
    if two_phases:
        opened = ("{', '.join(OPEN_BLOCKS)} open at {BACKBONE_LR:g}x the LR" if t.open
                  else "nothing more opens (linear probe)")
        phase = [
            "if not phase_two and epoch >= HEAD_EPOCHS:  # phase two: OPEN_BLOCKS open",
            "    phase_two = True",
            "    net.lock(frozen_children(net, phase_two))",
            *(["    net.features_cached = False  # the open blocks change: the images go through them again",
               "    x_train, x_val = images"] if uncache else []),
            "    optimizer = make_optimizer(param_groups(net))  # afresh: its state was the head-only phase's",
            f'    print(f"phase two from epoch {{epoch}}: {opened}", flush=True)',
        ]
    model_arg = ""
    if t.pretrained:
        model_arg = "args.weights" if t.imagenet else "args.backbone"
    code = _fill('''
        def main() -> int:
            args = parse_args()
            if int(os.environ.get("WORLD_SIZE", "1")) > 1:
                print("error: the script of a transfer run trains in one process; torchrun (data parallel) is "
                      "not supported for it: run python " + os.path.basename(sys.argv[0]), file=sys.stderr)
                return 2
            device = torch.device(args.device)
            x_train, y_train, x_val, y_val = (torch.as_tensor(a, device=device) for a in make_data($data))$images

            # torch's global generator: the backbone's initial weights, then the head's, then dropout
            torch.manual_seed(args.seed)
            net = build_model($model_arg).to(device)$setup
            optimizer = make_optimizer(param_groups(net))$generators
            report(0, LR * lr_factor(0, args.epochs), net, x_train, y_train, x_val, y_val)
            step = 0
            for epoch in range(args.epochs):$phase
                lr = LR * lr_factor(epoch, args.epochs)
                for group in optimizer.param_groups:
                    group["lr"] = lr * group["lr_scale"]  # the open backbone blocks: BACKBONE_LR of it
                net.train()  # the frozen blocks stay in eval mode$batches
                report(epoch + 1, lr, net, x_train, y_train, x_val, y_val)
            return 0
    ''', data=_data_arg(ctx), model_arg=model_arg,
                 images=_more(["images = x_train, x_val  # for phase two"] if uncache else [], " " * 4),
                 setup=_more(setup, " " * 4), generators=_more(generators, " " * 4), phase=_more(phase, " " * 8),
                 batches=_more(batches, " " * 8))
    return _section("the training loop", [code])


_ARGS = '''
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the exported playground experiment.")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs (default {EPOCHS})")
    parser.add_argument("--device", default="cpu", help="cpu (default: the playground's numbers), cuda, mps")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the initial weights, batch order "
                        f"and dropout (default {SEED}); the data keep DATA_SEED")$more
    return parser.parse_args()
'''


def _args_code(ctx: _Context) -> str:
    more = []
    if ctx.folder is not None:
        more += ['parser.add_argument("--data", default=DATA_PATH, help="the folder of images, one subfolder per "',
                 '                    "class (default: DATA_PATH, the experiment\'s)")']
    t = ctx.transfer
    if t is not None and t.file is not None:
        more += ['parser.add_argument("--backbone", default=BACKBONE_FILE, help="the playground checkpoint of the "',
                 '                    "backbone\'s network (default: BACKBONE_FILE)")']
    if t is not None and t.imagenet and t.pretrained:
        more += ['parser.add_argument("--weights", help="WEIGHTS_FILE from elsewhere (default: torch\'s hub cache, "',
                 '                    "downloaded there if missing)")']
    return _fill(_ARGS, more=_more(more, " " * 4))


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
                            f"written (a bug in playground/core/export.py)")


__all__ = ["export_script"]
