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

Each ``_..._code`` function of this package's modules writes one section of the script (writing.py
holds the helpers they share, context.py the resolved experiment they all read). Before returning,
``export_script`` runs the script's definitions once and compares their data, initial weights,
frozen blocks, parameter groups, optimizer, schedule, loss and augmentation with the playground's
own: a choice the exporter would write wrongly fails here, with a ``SpecError``, instead of in a
student's hands.
"""

from __future__ import annotations

import torch

from playground.core.export.context import _context
from playground.core.export.data import _data_code, _digits_blob
from playground.core.export.header import _header, _imports, _settings
from playground.core.export.loop import _MAIN_GUARD, _args_code, _evaluation_code, _main_code
from playground.core.export.network import _model_code
from playground.core.export.training import (_DISTRIBUTED, _augment_code, _loss_code, _optimizer_code,
                                             _step_code)
from playground.core.export.transfer import _transfer_model_code
from playground.core.export.verify import _verify
from playground.core.export.writing import _join
from playground.core.spec import Experiment


def export_script(exp: Experiment, script_name: str = "train.py") -> str:
    """The script's text; raises ``SpecError`` for anything it cannot reproduce exactly."""
    with torch.random.fork_rng(devices=[]):  # building the reference model draws from torch's RNG
        ctx = _context(exp)
        body = [
            _settings(ctx), _data_code(ctx), _transfer_model_code(ctx) if ctx.transfer else _model_code(ctx),
            _loss_code(ctx), _optimizer_code(ctx), _augment_code(ctx), "" if ctx.transfer else _DISTRIBUTED,
            _step_code(ctx), _evaluation_code(ctx), _main_code(ctx), _args_code(ctx), _digits_blob(ctx),
            _MAIN_GUARD,
        ]
        script = _join([_header(ctx, script_name), _imports(ctx, _join(body)), *body])
        _verify(script, ctx)
    return script


__all__ = ["export_script"]
