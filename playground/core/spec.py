"""The experiment file: one JSON document describes one run.

Every field has a default, so ``{}`` is a valid experiment (TensorFlow Playground's defaults).
Validation names the field path of the first bad value, e.g.
``model.layers[1].units: must be >= 1, got 0``. Choices come from the registries, so a new
optimizer or dataset is accepted here as soon as it is registered. Sizes have upper limits too,
checked before anything is allocated (``data.n_samples: at most 100000, got 1000000``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from playground.core.activations import ACTIVATIONS
from playground.core.backbones import BACKBONES, STRATEGIES
from playground.core.data import PREPROCESS
from playground.core.datasets import DATASETS
from playground.core.errors import SpecError
from playground.core.files import write_atomic
from playground.core.features import FEATURES
from playground.core.initializers import INITIALIZERS
from playground.core.losses import LOSSES
from playground.core.norms import NORMS
from playground.core.optimizers import OPTIMIZERS
from playground.core.registry import Registry
from playground.core.schedules import SCHEDULES
from playground.core.validate import check_experiment

MAX_SEED = 2**31 - 1


def _choices(registry: Registry, *extra: str) -> Callable[[], list[str]]:
    """Names are read when a value is checked, so an entry added later is accepted too."""
    return lambda: [*extra, *registry.names()]


def opt(default=None, *, lo=None, hi=None, lo_open=False, hi_open=False, choices=None, help=""):
    """A field with its limits and a tooltip-sized explanation kept beside it."""
    meta = {"lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open, "choices": choices, "help": help}
    if callable(default):  # a dataclass type or a factory
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class AugmentSpec:
    jitter: float = opt(0.0, lo=0.0, help="Std of Gaussian noise added to 2D points in every batch.")
    shift: int = opt(0, lo=0, hi=3, help="Images: random shift of up to this many pixels.")
    flip: bool = opt(False, help="Images: random horizontal flip.")
    noise: float = opt(0.0, lo=0.0, help="Images: std of Gaussian pixel noise (after preprocessing).")


@dataclass
class DataSpec:
    name: str = opt("circle", choices=_choices(DATASETS))
    n_samples: Optional[int] = opt(None, lo=4, hi=100_000, help="Points to generate; omitted: the dataset's own size.")
    noise: float = opt(0.0, lo=0.0, hi=0.5, help="Label noise as TensorFlow Playground defines it (0 to 0.5).")
    val_fraction: float = opt(0.5, lo=0.0, hi=0.9, help="Share of the data held out for validation.")
    seed: int = opt(0, lo=0, hi=MAX_SEED, help="Seed of the data generator and of the train/validation split.")
    features: list[str] = opt(lambda: ["x1", "x2"], choices=_choices(FEATURES))
    preprocess: str = opt("none", choices=_choices(PREPROCESS))
    augment: AugmentSpec = opt(AugmentSpec)
    classes: Optional[list[int]] = opt(None, lo=0, hi=999, help="Only these classes (by index), relabelled 0, 1, ... "
                                                               "in this order; omitted: all.")
    per_class: Optional[int] = opt(None, lo=1, hi=100_000, help="Few-shot: this many labelled training examples per "
                                                               "class, the rest for validation; omitted: val_fraction.")
    path: Optional[str] = opt(None, help="The folder of your own images (one subfolder per class).")
    image_size: Optional[int] = opt(None, lo=8, hi=512, help="Folder images are resized to this many pixels square; "
                                                             "omitted: what the backbone expects, else 32.")


LAYER_TYPES = ("dense", "conv", "pool", "flatten")


@dataclass
class LayerSpec:
    type: str = opt("dense", choices=lambda: list(LAYER_TYPES))
    units: int = opt(4, lo=1, hi=4096, help="Dense layers: number of units.")
    channels: int = opt(8, lo=1, hi=512, help="Conv layers: number of filters.")
    kernel: Optional[int] = opt(None, lo=1, hi=7, help="Conv: filter size (default 3); pool: window (default 2).")
    activation: Optional[str] = opt(None, choices=_choices(ACTIVATIONS))
    init: Optional[str] = opt(None, choices=_choices(INITIALIZERS))
    norm: Optional[str] = opt(None, choices=_choices(NORMS))
    dropout: Optional[float] = opt(None, lo=0.0, hi=1.0, hi_open=True)

    # Fields written for each type; the rest are left out of the file.
    SHAPE_FIELDS: typing.ClassVar[dict[str, tuple[str, ...]]] = {
        "dense": ("units",), "conv": ("channels", "kernel"), "pool": ("kernel",), "flatten": (),
    }

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"type": self.type}
        for name in self.SHAPE_FIELDS[self.type]:
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.type in ("dense", "conv"):
            for name in ("activation", "init", "norm", "dropout"):
                if getattr(self, name) is not None:
                    out[name] = getattr(self, name)
        return out


@dataclass
class ModelSpec:
    activation: str = opt("tanh", choices=_choices(ACTIVATIONS))
    init: str = opt("xavier_uniform", choices=_choices(INITIALIZERS))
    init_std: float = opt(0.01, lo=0.0, lo_open=True, help="Std of the 'normal' init: 0.01 too small, 1.0 too large.")
    norm: str = opt("none", choices=_choices(NORMS))
    dropout: float = opt(0.0, lo=0.0, hi=1.0, hi_open=True)
    layers: list[LayerSpec] = opt(lambda: [LayerSpec(units=4), LayerSpec(units=2)])

    def layer_choice(self, layer: LayerSpec, name: str):
        """A layer's own choice where it sets one, else the model-wide default."""
        own = getattr(layer, name)
        return getattr(self, name) if own is None else own


@dataclass
class OptimSpec:
    name: str = opt("sgd", choices=_choices(OPTIMIZERS))
    lr: Optional[float] = opt(None, lo=0.0, lo_open=True, help="Omitted: the optimizer's lecture default.")
    momentum: Optional[float] = opt(None, lo=0.0, hi=1.0, hi_open=True)
    betas: Optional[list[float]] = opt(None, help="Adam's (beta1, beta2); omitted: 0.9, 0.999.")
    eps: Optional[float] = opt(None, lo=0.0, lo_open=True)
    weight_decay: float = opt(0.0, lo=0.0, help="L2 regularization strength.")
    l1: float = opt(0.0, lo=0.0, help="L1 regularization strength (sum of |w| added to the loss).")


@dataclass
class ScheduleSpec:
    name: str = opt("constant", choices=_choices(SCHEDULES))
    k: float = opt(0.1, lo=0.0, help="Decay rate of exponential and 1/t decay.")
    gamma: float = opt(0.5, lo=0.0, hi=1.0, lo_open=True, help="Step decay: multiply the LR by this.")
    step_epochs: int = opt(10, lo=1, hi=1_000_000, help="Step decay: every this many epochs.")
    warmup_epochs: int = opt(0, lo=0, hi=1_000_000, help="Linear warm-up from lr/warmup to lr over this many epochs.")


@dataclass
class TrainSpec:
    epochs: int = opt(100, lo=1, hi=1_000_000)
    batch_size: int = opt(10, lo=0, hi=100_000, help="Examples per step; 0 = the whole training set (full batch).")
    loss: str = opt("auto", choices=_choices(LOSSES, "auto"),
                    help="auto: cross-entropy for classes, mean squared error for regression.")
    reduction: str = opt("mean", choices=lambda: ["mean", "sum"])
    seed: int = opt(0, lo=0, hi=MAX_SEED, help="Seed of the initial weights, the batch order and dropout.")
    device: str = opt("auto", choices=lambda: ["auto", "cpu", "cuda", "mps"])
    probe_every: int = opt(50, lo=0, hi=1_000_000, help="Steps between activation/gradient probes; 0 = off.")


@dataclass
class TransferSpec:
    backbone: str = opt("none", choices=_choices(BACKBONES, "none"),
                        help="The pretrained network to start from; none: an ordinary run.")
    path: Optional[str] = opt(None, help="backbone 'checkpoint': the .safetensors file of a playground run.")
    cut: Optional[str] = opt(None, help="The last backbone block kept; omitted: the backbone's feature end.")
    strategy: str = opt("linear_probe", choices=_choices(STRATEGIES))
    open_blocks: int = opt(1, lo=1, hi=64, help="fine_tune_top: how many of the backbone's top blocks train.")
    backbone_lr: float = opt(0.1, lo=0.0, hi=1.0, lo_open=True,
                             help="The backbone's LR as a share of the head's (parameter groups).")
    head_epochs: int = opt(0, lo=0, hi=1_000_000, help="Two phases: only the head trains for this many epochs, then "
                                                       "the strategy's blocks open with the optimizer rebuilt.")

    @property
    def enabled(self) -> bool:
        return self.backbone != "none"


@dataclass
class Experiment:
    title: str = opt("", help="Shown in the preset menu.")
    description: str = opt("", help="Two lines on what the experiment shows.")
    data: DataSpec = opt(DataSpec)
    model: ModelSpec = opt(ModelSpec)
    optim: OptimSpec = opt(OptimSpec)
    schedule: ScheduleSpec = opt(ScheduleSpec)
    train: TrainSpec = opt(TrainSpec)
    transfer: TransferSpec = opt(TransferSpec)

    # -- JSON ---------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Any) -> "Experiment":
        exp = _build(cls, raw, "")
        check_experiment(exp)
        return exp

    def to_dict(self) -> dict:
        return _dump(self)

    @classmethod
    def from_json(cls, text: str) -> "Experiment":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError("", f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        return cls.from_dict(raw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def load(cls, path: str | Path) -> "Experiment":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SpecError("", f"cannot read {path}: {e}") from None
        return cls.from_json(text)

    def save(self, path: str | Path) -> None:
        write_atomic(Path(path), self.to_json().encode("utf-8"))

    def copy(self) -> "Experiment":
        return Experiment.from_dict(self.to_dict())

    def with_overrides(self, assignments: list[str]) -> "Experiment":
        """Apply ``path=value`` overrides (``model.layers[0].units=8``); values are JSON or bare strings."""
        changes = {}
        for assignment in assignments:
            path, sep, text = assignment.partition("=")
            if not sep or not path.strip():
                raise SpecError("", f"--set wants path=value, got {assignment!r}")
            try:
                changes[path.strip()] = json.loads(text)
            except json.JSONDecodeError:
                changes[path.strip()] = text
        return self.with_changes(changes)

    def with_changes(self, changes: dict[str, Any]) -> "Experiment":
        """A validated copy with fields replaced by path (``{"optim.lr": 0.1}``); self is unchanged."""
        raw = self.to_dict()
        for path, value in changes.items():
            _assign(raw, path, value)
        return Experiment.from_dict(raw)


# -- generic conversion with checks -------------------------------------------------------------

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _assign(raw: dict, path: str, value: Any) -> None:
    parts = []
    for piece in path.split("."):
        tokens = _PART.findall(piece)
        if not tokens or "".join(n or f"[{i}]" for n, i in tokens) != piece:
            raise SpecError(path, "not a field path (write it like model.layers[0].units)")
        parts.extend(name if name else int(index) for name, index in tokens)
    node: Any = raw
    walked = ""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise SpecError(f"{walked}[{part}]", f"no such item (the list has {size})")
            walked += f"[{part}]"
        else:
            if not isinstance(node, dict):
                raise SpecError(walked, "is not an object")
            walked += f".{part}" if walked else part
            if not last and part not in node:
                node[part] = {}  # an omitted section; the conversion rejects unknown keys
        if last:
            node[part] = value
        else:
            node = node[part]


def _dump(obj: Any) -> Any:
    if hasattr(obj, "to_dict") and not isinstance(obj, Experiment):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is not None:
                out[f.name] = _dump(value)
        if isinstance(obj, Experiment) and not obj.transfer.enabled:
            del out["transfer"]  # an ordinary run's file stays as it was
        return out
    if isinstance(obj, list):
        return [_dump(v) for v in obj]
    return obj


def _build(cls: type, raw: Any, path: str):
    if not isinstance(raw, dict):
        raise SpecError(path, f"must be an object, got {_kind(raw)}")
    hints = _type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise SpecError(_join(path, key), f"unknown key; known keys are {', '.join(known)}")
    values = {}
    for name, f in known.items():
        if name in raw:
            values[name] = _convert(hints[name], raw[name], _join(path, name), f.metadata)
    return cls(**values)


@functools.lru_cache(maxsize=None)
def _type_hints(cls: type) -> dict:
    """Resolved once per class: every edit in the window validates a whole experiment."""
    return typing.get_type_hints(cls)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _convert(hint: Any, value: Any, path: str, meta: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union and type(None) in args:
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    if origin is list:
        if not isinstance(value, list):
            raise SpecError(path, f"must be a list, got {_kind(value)}")
        item = args[0]
        if dataclasses.is_dataclass(item):
            return [_build(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return [_scalar(item, v, f"{path}[{i}]", meta) for i, v in enumerate(value)]
    return _scalar(hint, value, path, meta)


def _scalar(hint: type, value: Any, path: str, meta: Any) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(path, f"must be true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise SpecError(path, f"must be a whole number, got {value!r}")
        value = int(value)
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(path, f"must be a number, got {_kind(value)} {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise SpecError(path, f"must be a finite number, got {value}")
    elif hint is str:
        if not isinstance(value, str):
            raise SpecError(path, f"must be a string, got {_kind(value)}")
    _check_limits(value, path, meta)
    return value


def _check_limits(value: Any, path: str, meta: Any) -> None:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None:
        if meta.get("lo_open") and not value > lo:
            raise SpecError(path, f"must be > {lo}, got {value}")
        if not meta.get("lo_open") and not value >= lo:
            raise SpecError(path, f"must be >= {lo}, got {value}")
    if hi is not None:
        if meta.get("hi_open") and not value < hi:
            raise SpecError(path, f"must be < {hi}, got {value}")
        if not meta.get("hi_open") and not value <= hi:
            raise SpecError(path, f"at most {hi}, got {value}")
    choices = meta.get("choices")
    if choices is not None and value not in choices():
        raise SpecError(path, f"unknown choice {value!r}; choose one of {', '.join(choices())}")


def field_help(cls: type, name: str) -> str:
    """The explanation stored beside a field, for tooltips and --help."""
    return next(f.metadata.get("help", "") for f in dataclasses.fields(cls) if f.name == name)
