"""``playground pretrain``: the shipped backbone is what its source experiment makes, byte for byte.

The byte-identity test trains glyphs_cnn twice (about 31 s each on one core); the two runs go in
parallel subprocesses, so it takes about 40 s on two cores. It is part of the normal suite on
purpose: it is what proves resources/backbones/glyphs_cnn.safetensors can be rebuilt by anyone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground import cli
from playground.core.backbones import backbones_dir
from playground.core.pretrain import shipped_backbones

ROOT = Path(__file__).resolve().parents[2]
PRETRAIN_TIMEOUT = 600  # seconds; ~40 s expected


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> list[bytes]:
    """Two pretrains of glyphs_cnn, at the same time, each in its own process (one torch thread each)."""
    root = tmp_path_factory.mktemp("pretrain")
    outs = [root / "A" / "glyphs_cnn.safetensors", root / "B" / "glyphs_cnn.safetensors"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    processes = [subprocess.Popen([sys.executable, "-m", "playground", "pretrain", "glyphs_cnn", "--out", str(out),
                                   "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for out in outs]
    results = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=PRETRAIN_TIMEOUT)
            results.append((process.returncode, stdout, stderr))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for (code, stdout, stderr), out in zip(results, outs):
        assert code == 0, stderr
        assert "trained 8 epochs" in stdout and str(out) in stdout
        assert stderr == ""  # --quiet: no progress bar
    return [out.read_bytes() for out in outs]


def header_and_data(blob: bytes) -> tuple[dict, bytes]:
    size = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8:8 + size]), blob[8 + size:]


def test_pretrain_twice_gives_the_shipped_weights_and_header(pretrained):
    """Every tensor byte and every header entry, in the tensors' order: all but the order of the
    metadata keys (see the next test)."""
    shipped = header_and_data((backbones_dir() / "glyphs_cnn.safetensors").read_bytes())
    for blob in pretrained:
        header, data = header_and_data(blob)
        assert data == shipped[1], "pretrain glyphs_cnn no longer makes the shipped weights"
        assert list(header) == list(shipped[0]) and header == shipped[0]
        assert header["__metadata__"]["epoch"] == "8" and "experiment" in header["__metadata__"]
    assert len(pretrained[0]) == len(pretrained[1]) == len(backbones_dir().joinpath("glyphs_cnn.safetensors")
                                                           .read_bytes())


def test_pretrain_twice_gives_the_shipped_file_byte_for_byte(pretrained):
    shipped = (backbones_dir() / "glyphs_cnn.safetensors").read_bytes()
    first, second = pretrained
    assert first == second, "two pretrains of glyphs_cnn differ"
    assert first == shipped, "pretrain glyphs_cnn no longer makes the shipped resources/backbones file"


def test_an_unknown_backbone_is_refused_with_the_list_of_shipped_ones(tmp_path, capsys):
    assert shipped_backbones() == ["glyphs_cnn"]
    code = cli.main(["pretrain", "resnet18", "--out", str(tmp_path / "x.safetensors"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == "playground: error: no shipped backbone named 'resnet18'; shipped: glyphs_cnn\n"
    assert captured.out == "" and not (tmp_path / "x.safetensors").exists()
