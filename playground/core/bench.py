"""``playground bench``: the Trainer against a bare hand-written PyTorch loop, on the same work.

Both sides build the same model (``build_model``, same seed), train on the same tensors, shuffle
with a seeded ``torch.randperm`` each epoch, read ``loss.item()`` every step and evaluate mean loss
and accuracy on both splits after every epoch, as the Trainer does. The variants of a workload are
timed in one process: warmed up, then run in turn (bare, trainer, trainer + probes, bare, ...) for
many short rounds of whole epochs; the median steps/s of each variant and the median of the
per-round ratios are reported.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import subprocess
import sys
import time
from typing import Callable, Optional, TextIO

import torch

from playground.core.data import PreparedData, prepare_data
from playground.core.devices import resolve_device
from playground.core.losses import data_loss, resolved_loss
from playground.core.model import build_model
from playground.core.optimizers import build_optimizer
from playground.core.spec import Experiment, LayerSpec, TrainSpec
from playground.core.trainer import Trainer

RATIO_TARGET = 0.95  # trainer steps/s over bare steps/s, at least
PROBE_COST_TARGET = 0.10  # 1 - (probes on) / (probes off), at most
ROUND_SECONDS = 0.02  # one timed round of one variant: whole epochs, about this long
MIN_ROUNDS = 5
DEFAULT_PROBE_EVERY = TrainSpec().probe_every

Epoch = Callable[[], int]  # runs one epoch, returns the steps it took


def workloads() -> dict[str, Experiment]:
    """The tiny 2D net of the default experiment and a small digits CNN."""
    tiny = Experiment()  # circle, 2-4-2 tanh + output, sgd lr 0.03, batch 10
    cnn = Experiment()
    cnn.data.name = "digits"
    cnn.data.preprocess = "standardize"
    cnn.model.activation = "relu"
    cnn.model.layers = [LayerSpec(type="conv", channels=8, kernel=3), LayerSpec(type="pool", kernel=2),
                        LayerSpec(type="conv", channels=16, kernel=3), LayerSpec(type="pool", kernel=2),
                        LayerSpec(type="dense", units=32)]
    cnn.optim.name = "adam"
    cnn.train.batch_size = 32
    return {"tiny 2D net": tiny, "digits CNN": cnn}


def bare_loop(exp: Experiment, data: PreparedData) -> Callable[[], dict]:
    """A plain PyTorch loop doing the Trainer's work; returns ``epoch()``, which trains one epoch and
    returns ``{"steps", "train_loss", "val_loss", "train_acc", "val_acc"}``."""
    device, _ = resolve_device(exp.train.device)
    loss_name = resolved_loss(exp, data.info.task)
    torch.manual_seed(exp.train.seed)
    net, _ = build_model(exp.model, data.input_shape, max(data.info.num_classes, 1))
    net.to(device)
    optimizer = build_optimizer([{"params": list(net.parameters())}], exp.optim)  # a plain torch.optim one
    x_train, y_train = torch.as_tensor(data.x_train, device=device), torch.as_tensor(data.y_train, device=device)
    x_val, y_val = torch.as_tensor(data.x_val, device=device), torch.as_tensor(data.y_val, device=device)
    generator = torch.Generator(device=device).manual_seed(exp.train.seed)
    batch_size = exp.train.batch_size

    def evaluate(x, y):
        out = net(x)
        return data_loss(out, y, loss_name).item(), (out.argmax(1) == y).float().mean().item()

    def epoch() -> dict:
        net.train()
        steps = 0
        for idx in torch.randperm(len(x_train), generator=generator, device=device).split(batch_size):
            xb, yb = x_train.index_select(0, idx), y_train.index_select(0, idx)
            loss = data_loss(net(xb), yb, loss_name)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if not math.isfinite(loss.item()):
                raise RuntimeError("the bare loop diverged")
            optimizer.step()
            steps += 1
        net.eval()
        with torch.no_grad():
            (train_loss, train_acc), (val_loss, val_acc) = evaluate(x_train, y_train), evaluate(x_val, y_val)
        return {"steps": steps, "train_loss": train_loss, "val_loss": val_loss,
                "train_acc": train_acc, "val_acc": val_acc}

    return epoch


def trainer_loop(exp: Experiment, data: PreparedData, probe_every: int) -> Callable[[], dict]:
    """The Trainer on the same work; returns ``epoch()``, which runs ``train_step()`` until one more
    epoch is done and returns its epoch record plus ``"steps"``."""
    exp = exp.copy()
    exp.train.probe_every = probe_every
    latest: dict = {}
    trainer = Trainer(exp, lambda record: latest.update({record["type"]: record}), data=data)

    def epoch() -> dict:
        start_epoch, start_step = trainer.epoch, trainer.step
        while trainer.epoch == start_epoch:
            trainer.train_step()
            if trainer.finished:
                raise RuntimeError(f"the trainer stopped: {latest['end']['message']}")
        return {**latest["epoch"], "steps": trainer.step - start_step}

    return epoch


def interleaved(variants: dict[str, Epoch], seconds: float) -> dict[str, list[float]]:
    """Steps/s of each variant in each round. Each variant is warmed up (which also times an epoch);
    then the variants take turns (A B C A B C ...) in rounds of the same whole number of epochs,
    about ``ROUND_SECONDS`` each, until each has run for about ``seconds``; ``gc.collect()`` before
    every round. Short interleaved rounds see nearly the same machine, so per-round ratios are fair."""
    per_epoch = []
    for run_epoch in variants.values():
        run_epoch()  # first-call costs: allocator, optimizer state, lazy inits
        start, epochs = time.perf_counter(), 0
        while epochs < 2 or time.perf_counter() - start < min(0.5, seconds / 10):
            run_epoch()
            epochs += 1
        per_epoch.append((time.perf_counter() - start) / epochs)
    epochs_per_round = max(1, round(ROUND_SECONDS / max(per_epoch)))
    rounds = max(MIN_ROUNDS, round(seconds / (epochs_per_round * max(per_epoch))))
    rates: dict[str, list[float]] = {name: [] for name in variants}
    gc.collect()
    gc.freeze()  # what is alive now (torch's modules) is not scanned again: a collection takes ms, not 0.1 s
    try:
        for _ in range(rounds):
            for name, run_epoch in variants.items():
                gc.collect()
                start = time.perf_counter()
                steps = sum(run_epoch() for _ in range(epochs_per_round))
                rates[name].append(steps / (time.perf_counter() - start))
    finally:
        gc.unfreeze()
    return rates


def median_and_quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def run_bench(seconds: float = 3.0, out: TextIO = sys.stdout) -> list[dict]:
    """Time each workload's three variants for about ``seconds`` each; print a table and the ratios
    against their targets; return one row per workload and variant. A ratio is the median over
    rounds of the ratio within a round (each round runs the variants back to back)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        device, _ = resolve_device(TrainSpec().device)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread (was {threads}), device {device.type}; "
              f"interleaved rounds of ~{ROUND_SECONDS:g} s, about {seconds:g} s per variant; "
              f"median [middle half of rounds]", file=out)
        print(f"{'workload':<14}{'variant':<26}{'steps/s':>9}   rounds", file=out)
        rows = []
        for workload, exp in workloads().items():
            data = prepare_data(exp.data)
            variants = {
                "bare PyTorch": bare_loop(exp, data),
                "trainer, probes off": trainer_loop(exp, data, 0),
                f"trainer, probes every {DEFAULT_PROBE_EVERY}": trainer_loop(exp, data, DEFAULT_PROBE_EVERY),
            }
            rates = interleaved({name: lambda e=epoch: e()["steps"] for name, epoch in variants.items()}, seconds)
            for variant, r in rates.items():
                median, q1, q3 = median_and_quartiles(r)
                rows.append({"workload": workload, "variant": variant, "steps_per_s": median, "rounds": r})
                print(f"{workload:<14}{variant:<26}{median:>9.0f}   [{q1:.0f} .. {q3:.0f}]", file=out)
            bare, plain, probed = rates.values()
            plain_row, probed_row = rows[-2], rows[-1]

            ratio, q1, q3 = median_and_quartiles([t / b for t, b in zip(plain, bare)])
            plain_row.update(ratio=ratio, target=RATIO_TARGET, met=ratio >= RATIO_TARGET)
            print(f"  trainer/bare = {ratio:.3f}x [{q1:.3f} .. {q3:.3f}]   target >= {RATIO_TARGET:.2f}x  "
                  f"{'PASS' if plain_row['met'] else 'MISS'}", file=out)

            cost, q1, q3 = median_and_quartiles([1 - p / t for p, t in zip(probed, plain)])
            probed_row.update(probe_cost=cost, target=PROBE_COST_TARGET, met=cost <= PROBE_COST_TARGET)
            print(f"  probe cost   = {cost:.1%} [{q1:.1%} .. {q3:.1%}]   target <= {PROBE_COST_TARGET:.0%}  "
                  f"{'PASS' if probed_row['met'] else 'MISS'}", file=out)
        return rows
    finally:
        torch.set_num_threads(threads)


# -- playground bench --transfer --------------------------------------------------------------------

TRANSFER_BACKBONE = "mobilenet_v3_small"
TRANSFER_BATCH = 32
TRANSFER_SIZE = 224
TRANSFER_CLASSES = 10
CACHE_SPEEDUP_TARGET = 10.0  # head steps on cached features over steps through the frozen backbone, at least
MIN_REPEATS = 3


def default_threads() -> int:
    """The intra-op thread count torch starts with here (one per physical core, or OMP_NUM_THREADS),
    asked of a fresh interpreter: this process may have set its own already (use_few_threads)."""
    try:
        done = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                              capture_output=True, text=True, timeout=120, check=False)
        return max(int(done.stdout.strip()), 1)
    except (OSError, ValueError, subprocess.SubprocessError):
        return max(os.cpu_count() or 1, 1)


def frozen_imagenet_net(name: str = TRANSFER_BACKBONE, classes: int = TRANSFER_CLASSES):
    """The linear probe's network on an ImageNet backbone with randomly initialised weights (the
    ``scratch`` strategy builds the same modules without a download), every backbone block frozen."""
    from playground.core.transfer import build_transfer

    exp = Experiment()
    exp.model.layers = []  # a linear head, as the presets use
    exp.transfer.backbone = name
    exp.transfer.strategy = "scratch"
    net = build_transfer(exp, classes).net
    net.lock(list(net.backbone))
    return net


def repeated(fn: Callable[[], int], seconds: float, min_repeats: int = MIN_REPEATS) -> list[float]:
    """Units per second of each call of ``fn`` (which returns the units it did), after one warm-up
    call, until ``seconds`` have passed and at least ``min_repeats`` calls were timed."""
    fn()
    rates: list[float] = []
    begin = time.perf_counter()
    while len(rates) < min_repeats or time.perf_counter() - begin < seconds:
        gc.collect()
        start = time.perf_counter()
        units = fn()
        rates.append(units / (time.perf_counter() - start))
    return rates


def run_transfer_bench(seconds: float = 3.0, out: TextIO = sys.stdout, *, batch: int = TRANSFER_BATCH,
                       size: int = TRANSFER_SIZE, threads: Optional[int] = None) -> list[dict]:
    """What caching a frozen backbone's features buys, on this CPU, for about ``seconds`` per figure:
    (a) images/s of feature extraction (eval, no_grad, ``batch`` images of ``size`` px) with one torch
    thread and with torch's default count (``threads``; asked of a fresh interpreter when omitted);
    (b) steps/s, on one thread, of a linear-probe head step on cached features against the same step
    run through the frozen backbone, and the ratio against its target. Random weights: no download.
    Prints a table; returns one row per figure (the cached step's row carries the speed-up)."""
    saved = torch.get_num_threads()
    default = threads or default_threads()
    try:
        torch.set_num_threads(1)
        torch.manual_seed(0)
        net = frozen_imagenet_net()
        net.train()  # a training step's mode: the frozen blocks stay in eval mode whatever it says
        generator = torch.Generator().manual_seed(0)
        images = torch.randn((batch, 3, size, size), generator=generator)
        labels = torch.randint(0, TRANSFER_CLASSES, (batch,), generator=generator)
        features = net.features(images)  # what the cache holds: (batch, 576)
        head = [p for p in net.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(head, lr=1e-3)

        def extract() -> int:
            net.features(images)
            return batch

        def step(cached: bool) -> Callable[[], int]:
            x = features if cached else images

            def one() -> int:
                net.features_cached = cached
                loss = torch.nn.functional.cross_entropy(net(x), labels)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss.item()
                return 1
            return one

        gc.collect()
        gc.freeze()  # what is alive now is not scanned again: the collection before each repeat stays cheap
        print(f"torch {torch.__version__}, device cpu, {TRANSFER_BACKBONE} with random weights, {size} px, "
              f"batch {batch}, linear head to {TRANSFER_CLASSES} classes; about {seconds:g} s per figure; "
              f"median [middle half of repeats]", file=out)
        print(f"{'measure':<44}{'threads':>7}{'rate':>12}  {'unit':<9}repeats", file=out)
        rows = []

        def measure(label: str, unit: str, fn: Callable[[], int], count: int) -> dict:
            torch.set_num_threads(count)
            rates = repeated(fn, seconds)
            median, q1, q3 = median_and_quartiles(rates)
            row = {"measure": label, "threads": count, "rate": median, "unit": unit, "repeats": rates}
            print(f"{label:<44}{count:>7}{median:>12.4g}  {unit:<9}[{q1:.4g} .. {q3:.4g}]", file=out)
            rows.append(row)
            return row

        for count in dict.fromkeys([1, default]):
            measure("feature extraction (eval, no_grad)", "images/s", extract, count)
        cached = measure("head step on cached features", "steps/s", step(True), 1)
        uncached = measure("head step through the frozen backbone", "steps/s", step(False), 1)
        net.features_cached = False
        speedup = cached["rate"] / uncached["rate"]
        cached.update(speedup=speedup, target=CACHE_SPEEDUP_TARGET, met=speedup >= CACHE_SPEEDUP_TARGET)
        print(f"  cached / through backbone = {speedup:,.0f}x   target >= {CACHE_SPEEDUP_TARGET:g}x  "
              f"{'PASS' if cached['met'] else 'MISS'}", file=out)
        return rows
    finally:
        gc.unfreeze()
        torch.set_num_threads(saved)
