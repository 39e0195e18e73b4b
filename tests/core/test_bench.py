"""``playground bench``: the structure of its report, and that both sides do the same work.

No timing assertions: the machines running the tests are shared and noisy.
"""

from __future__ import annotations

import math
import statistics
from io import StringIO

import pytest
import torch

from playground.core.bench import (DEFAULT_PROBE_EVERY, PROBE_COST_TARGET, RATIO_TARGET, bare_loop, run_bench,
                                   trainer_loop, workloads)
from playground.core.data import prepare_data

VARIANTS = ["bare PyTorch", "trainer, probes off", f"trainer, probes every {DEFAULT_PROBE_EVERY}"]


@pytest.fixture(scope="module")
def bench():
    out = StringIO()
    threads = torch.get_num_threads()
    rows = run_bench(seconds=0.2, out=out)
    return rows, out.getvalue(), threads


def test_rows_cover_both_workloads_and_three_variants(bench):
    rows, _, _ = bench
    assert [(r["workload"], r["variant"]) for r in rows] == [(w, v) for w in workloads() for v in VARIANTS]
    for row in rows:
        assert math.isfinite(row["steps_per_s"]) and row["steps_per_s"] > 0
        assert row["rounds"] and all(math.isfinite(x) and x > 0 for x in row["rounds"])


def test_rows_carry_the_ratios_against_their_targets(bench):
    rows, _, _ = bench
    for i in range(0, len(rows), 3):
        bare, plain, probed = rows[i:i + 3]
        assert len(bare["rounds"]) == len(plain["rounds"]) == len(probed["rounds"]) >= 5
        # medians of the ratios within each round (the variants of a round run back to back)
        assert plain["ratio"] == pytest.approx(statistics.median(
            t / b for t, b in zip(plain["rounds"], bare["rounds"])))
        assert plain["target"] == RATIO_TARGET and plain["met"] == (plain["ratio"] >= RATIO_TARGET)
        assert probed["probe_cost"] == pytest.approx(statistics.median(
            1 - p / t for p, t in zip(probed["rounds"], plain["rounds"])))
        assert probed["target"] == PROBE_COST_TARGET and probed["met"] == (probed["probe_cost"] <= PROBE_COST_TARGET)


def test_printed_report_names_environment_ratios_and_targets(bench):
    rows, text, _ = bench
    assert f"torch {torch.__version__}" in text and "device" in text and "thread" in text
    for workload in workloads():
        assert workload in text
    assert text.count("trainer/bare = ") == 2 and text.count("probe cost   = ") == 2
    assert text.count(f"target >= {RATIO_TARGET:.2f}x") == 2 and text.count(f"target <= {PROBE_COST_TARGET:.0%}") == 2
    assert text.count("PASS") + text.count("MISS") == 4
    for row in rows:
        if "ratio" in row:
            assert f"trainer/bare = {row['ratio']:.3f}x" in text
        if "probe_cost" in row:
            assert f"probe cost   = {row['probe_cost']:.1%}" in text


def test_thread_count_is_restored(bench):
    _, _, threads = bench
    assert torch.get_num_threads() == threads


@pytest.fixture
def one_thread():
    """As the bench runs; it also keeps a loaded 2-core machine from oversubscribing."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("workload", list(workloads()))
def test_bare_loop_and_trainer_do_the_same_work(workload, one_thread):
    """Same seed, same data: after each of two epochs the bare loop and the Trainer (probes on or
    off) report the same losses and accuracies, so the bench compares like with like."""
    exp = workloads()[workload]
    data = prepare_data(exp.data)
    bare, plain, probed = bare_loop(exp, data), trainer_loop(exp, data, 0), trainer_loop(exp, data, 1)
    for _ in range(2):
        expected = bare()
        for result in (plain(), probed()):
            assert result["steps"] == expected["steps"] == math.ceil(len(data.x_train) / exp.train.batch_size)
            for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
                assert result[key] == pytest.approx(expected[key], rel=1e-6, abs=1e-7), key
