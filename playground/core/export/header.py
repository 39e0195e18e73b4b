"""The top of the script: what it is and how to run it, its imports, and the experiment's settings as
named constants that the code below reads."""

from __future__ import annotations

import json

from playground.core.datasets import DATASETS
from playground.core.export.context import _Context
from playground.core.export.transfer import _transfer_about, _transfer_settings
from playground.core.export.writing import _assignment, _comment, _fill, _rule
from playground.core.optimizers import resolved_lr
from playground.core.paths import resolve_path


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
