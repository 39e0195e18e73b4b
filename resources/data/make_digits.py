"""Rebuild digits.npz, the 1,797 8x8 handwritten digits, from scikit-learn's copy of the UCI data.

    python resources/data/make_digits.py PATH

PATH is a scikit-learn wheel (which holds sklearn/datasets/data/digits.csv.gz) or that csv.gz
itself. Each csv row is 64 pixels (0..16, row by row) and then the label. Needs numpy only, so
scikit-learn itself need not be installed.
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

WHEEL_MEMBER = "sklearn/datasets/data/digits.csv.gz"
OUTPUT = Path(__file__).with_name("digits.npz")


def read_compressed_csv(path: Path) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(WHEEL_MEMBER)
    return path.read_bytes()


def parse_digits(compressed_csv: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 8, 8), labels uint8 (N,)), after checking that the values are what we expect."""
    table = np.loadtxt(io.BytesIO(gzip.decompress(compressed_csv)), delimiter=",")
    if table.ndim != 2 or table.shape[1] != 65:
        raise ValueError(f"expected rows of 64 pixels and a label, got a table of shape {table.shape}")
    pixels, labels = table[:, :64], table[:, 64]
    if not (np.all(pixels == np.round(pixels)) and pixels.min() >= 0 and pixels.max() <= 16):
        raise ValueError("pixels must be whole numbers from 0 to 16")
    if not set(np.unique(labels)) <= set(range(10)):
        raise ValueError("labels must be the digits 0 to 9")
    return pixels.reshape(-1, 8, 8).astype(np.uint8), labels.astype(np.uint8)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    images, labels = parse_digits(read_compressed_csv(Path(argv[0])))
    np.savez_compressed(OUTPUT, images=images, labels=labels)
    print(f"wrote {OUTPUT}: {len(labels)} images, {OUTPUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
