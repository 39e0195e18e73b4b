"""Where a transfer run's pretrained part comes from, and which of its blocks train: two registries and
the backbone's blocks as plain descriptions (names, shapes, sizes), without torch.

A backbone is a playground checkpoint (the user's own, or one shipped in resources/backbones/ and
made by ``playground pretrain NAME``) or an ImageNet network whose weights torchvision publishes.
Its blocks are what the window draws locked or open and what ``transfer.cut`` names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from playground.core.checkpoint_header import CheckpointError, peek_metadata
from playground.core.datasets import DATASETS
from playground.core.download import WeightFile
from playground.core.errors import SpecError
from playground.core.paths import resolve_path, resources_dir
from playground.core.plan import BlockPlan, plan_blocks
from playground.core.registry import Registry

if TYPE_CHECKING:
    from playground.core.data import FolderFormat
    from playground.core.spec import Experiment, TransferSpec

HEAD_PREFIX = "head_"  # a head's blocks are named apart from the backbone's: head_dense1


@dataclass(frozen=True)
class Strategy:
    pretrained: bool  # start from the backbone's weights (else fresh ones, same architecture)
    opens: str  # which backbone blocks train: "none", "top" (transfer.open_blocks of them) or "all"


STRATEGIES: Registry[Strategy] = Registry("strategy")
STRATEGIES.add("linear_probe", Strategy(True, "none"), "Linear probe (backbone frozen)",
               "Only the head trains; the backbone's features are computed once and cached, so it trains at "
               "the speed of a small dense net. The lecture's choice for very little data.")
STRATEGIES.add("fine_tune_top", Strategy(True, "top"), "Fine-tune the top blocks",
               "The top transfer.open_blocks blocks train too, at the backbone LR: with more data, adapt the "
               "most task-specific features and keep the general ones below.")
STRATEGIES.add("fine_tune_all", Strategy(True, "all"), "Fine-tune everything",
               "Every block trains, the backbone at a smaller LR (backbone_lr, 0.1 by default) so that the "
               "pretrained features are adjusted, not wiped out. For a lot of data.")
STRATEGIES.add("scratch", Strategy(False, "all"), "From scratch (same network, fresh weights)",
               "The same architecture with freshly initialised weights, all at the full LR: what transfer "
               "learning is measured against.")


@dataclass(frozen=True)
class ImageNetBlock:
    name: str
    out_shape: tuple[int, int, int]  # at 224x224 input
    parameters: int


@dataclass(frozen=True)
class Backbone:
    kind: str  # "checkpoint" or "imagenet"
    file: str = ""  # a shipped checkpoint's stem in resources/backbones/; "" for transfer.path
    weights: Optional[WeightFile] = None  # imagenet: the published file
    blocks: tuple[ImageNetBlock, ...] = ()  # imagenet: the blocks, checked against the modules by a test
    size: int = 224  # imagenet: input pixels, after a resize of the shorter side to ``resize``
    resize: int = 256


def _blocks(*rows: tuple[str, int, int, int]) -> tuple[ImageNetBlock, ...]:
    return tuple(ImageNetBlock(name, (channels, side, side), parameters) for name, channels, side, parameters in rows)


_MOBILENET = _blocks(
    ("features.0", 16, 112, 464), ("features.1", 16, 56, 744), ("features.2", 24, 28, 3864),
    ("features.3", 24, 28, 5416), ("features.4", 40, 14, 13736), ("features.5", 40, 14, 57264),
    ("features.6", 40, 14, 57264), ("features.7", 48, 14, 21968), ("features.8", 48, 14, 29800),
    ("features.9", 96, 7, 91848), ("features.10", 96, 7, 294096), ("features.11", 96, 7, 294096),
    ("features.12", 576, 7, 56448))
_RESNET = _blocks(("stem", 64, 56, 9536), ("layer1", 64, 56, 147968), ("layer2", 128, 28, 525568),
                  ("layer3", 256, 14, 2099712), ("layer4", 512, 7, 8393728))
_TORCHVISION = "https://download.pytorch.org/models/"

BACKBONES: Registry[Backbone] = Registry("backbone")
BACKBONES.add("glyphs_cnn", Backbone("checkpoint", "glyphs_cnn"), "Glyphs CNN (shipped)",
              "A small CNN (two conv blocks, a dense layer of 64) trained on glyph classes 0-29, 24,000 "
              "examples; made by `playground pretrain glyphs_cnn`. Its features are strokes at any position.")
BACKBONES.add("checkpoint", Backbone("checkpoint"), "A playground checkpoint (transfer.path)",
              "Any network saved by Save or `playground run`: its blocks up to the cut become the backbone.")
BACKBONES.add("mobilenet_v3_small", Backbone("imagenet", weights=WeightFile(
    "mobilenet_v3_small-047dcff4.pth", _TORCHVISION + "mobilenet_v3_small-047dcff4.pth",
    "047dcff4addef86ea5bc2eff13c9614dc11f47ab1160d0a71a25e7db994f4e1f", 10306551), blocks=_MOBILENET),
    "MobileNetV3 small (ImageNet)",
    "2.5 M parameters trained on ImageNet's 1.28 M photos; 224x224 RGB input. Fast on a laptop CPU: "
    "the default for your own photos. Weights (9.8 MB) are downloaded once.")
BACKBONES.add("resnet18", Backbone("imagenet", weights=WeightFile(
    "resnet18-f37072fd.pth", _TORCHVISION + "resnet18-f37072fd.pth",
    "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec", 46830571), blocks=_RESNET),
    "ResNet-18 (ImageNet)",
    "11.7 M parameters with residual connections, trained on ImageNet; slower than MobileNet, often a "
    "little more accurate. Weights (45 MB) are downloaded once.")


def backbones_dir() -> Path:
    return resources_dir() / "backbones"


def checkpoint_path(transfer: "TransferSpec") -> Path:
    entry = BACKBONES[transfer.backbone]
    if entry.file:
        return backbones_dir() / f"{entry.file}.safetensors"
    if not transfer.path:
        raise SpecError("transfer.path", "the checkpoint backbone needs the .safetensors file of a playground run")
    return resolve_path(transfer.path)


@dataclass(frozen=True)
class BackbonePlan:
    """The backbone as the window draws it and validation sizes it."""

    names: list[str]  # every block, in order (checkpoint blocks include pool and flatten)
    lockable: list[str]  # blocks with parameters: what freezes and opens
    shapes: dict[str, tuple[int, ...]]  # each block's output shape
    parameters: dict[str, int]
    input_shape: tuple[int, ...]  # what the backbone takes
    plans: list[BlockPlan]  # checkpoint blocks as the playground planned them; empty for imagenet
    outputs: int  # the checkpoint's own output units (its source task's classes); 0 for imagenet
    source: Optional["Experiment"]  # the checkpoint's own experiment
    cut: str  # the last block kept
    out_shape: tuple[int, ...]  # what the head receives (imagenet: after global average pooling)


def backbone_plan(exp: "Experiment") -> BackbonePlan:
    transfer = exp.transfer
    entry = BACKBONES[transfer.backbone]
    if entry.kind == "imagenet":
        names = [b.name for b in entry.blocks]
        cut = _cut(transfer, names, names[-1])
        kept = entry.blocks[:names.index(cut) + 1]
        return BackbonePlan([b.name for b in kept], [b.name for b in kept], {b.name: b.out_shape for b in kept},
                            {b.name: b.parameters for b in kept}, (3, entry.size, entry.size), [], 0, None, cut,
                            (kept[-1].out_shape[0],))
    path = checkpoint_path(transfer)
    text, outputs = _checkpoint_experiment(str(path), *_stamp(path))
    source = type(exp).from_json(text)
    info = DATASETS[source.data.name]
    if info.kind != "image":
        raise SpecError("transfer.backbone", f"{path.name} was trained on 2D points; a backbone takes images")
    if source.transfer.enabled:
        raise SpecError("transfer.path", f"{path.name} was itself trained on a backbone; start from the checkpoint "
                                         "of an ordinary run")
    input_shape = _source_input_shape(source)
    plans = plan_blocks(source.model, input_shape, outputs)
    body = [p for p in plans if p.type != "out"]
    if not body:
        raise SpecError("transfer.backbone", f"{path.name} has no hidden layers to reuse")
    names = [p.name for p in body]
    cut = _cut(transfer, names, names[-1])
    kept = body[:names.index(cut) + 1]
    return BackbonePlan([p.name for p in kept], [p.name for p in kept if p.parameters],
                        {p.name: p.out_shape for p in kept}, {p.name: p.parameters for p in kept}, input_shape,
                        kept, outputs, source, cut, kept[-1].out_shape)


def _source_input_shape(source: "Experiment") -> tuple[int, ...]:
    info = DATASETS[source.data.name]
    if source.data.name == "folder":
        return (3, source.data.image_size or 32, source.data.image_size or 32)
    return info.image_shape


def _cut(transfer: "TransferSpec", names: list[str], default: str) -> str:
    cut = transfer.cut or default
    if cut not in names:
        raise SpecError("transfer.cut", f"no block {cut!r} in this backbone; its blocks are {', '.join(names)}")
    return cut


def _stamp(path: Path) -> tuple[float, int]:
    try:
        status = path.stat()
    except OSError as e:
        raise SpecError("transfer.path", f"cannot read {path}: {e.strerror or e}") from None
    return status.st_mtime, status.st_size


@functools.lru_cache(maxsize=16)
def _checkpoint_experiment(path: str, mtime: float, size: int) -> tuple[str, int]:
    """The JSON of the experiment inside and its output units (a folder's class count is known
    only from the weights), read once per version of the file: every edit in the window validates
    the experiment. (Passed on as JSON: this registry cannot import the spec.)"""
    try:
        meta = peek_metadata(path)
    except CheckpointError as e:
        raise SpecError("transfer.path", str(e)) from None
    shape = meta["shapes"].get("out.bias") or [1]
    return meta.get("experiment", ""), int(shape[0])


def folder_format(exp: "Experiment") -> "FolderFormat":
    """What a folder's images become: the backbone's input, else data.image_size (32) in colour."""
    from playground.core.data import FolderFormat

    if exp.transfer.enabled:
        entry = BACKBONES[exp.transfer.backbone]
        if entry.kind == "imagenet":
            return FolderFormat(3, entry.size, entry.resize)
        channels, size, _ = backbone_plan(exp).input_shape
        return FolderFormat(channels, size, size)
    size = exp.data.image_size or 32
    return FolderFormat(3, size, size)


def open_blocks(transfer: "TransferSpec", plan: BackbonePlan, phase_two: bool = True) -> list[str]:
    """The lockable blocks that train: none in phase one of a two-phase run."""
    if not phase_two:
        return []
    opens = STRATEGIES[transfer.strategy].opens
    if opens == "all":
        return list(plan.lockable)
    if opens == "top":
        return plan.lockable[-transfer.open_blocks:] if transfer.open_blocks else []
    return []
