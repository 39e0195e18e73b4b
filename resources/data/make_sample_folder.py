"""Write the sample for the "your own folder" preset: a folder of one subfolder per class, as a
user would make from their photos, here from the shipped 8x8 digits.

    python resources/data/make_sample_folder.py [OUTPUT]

OUTPUT defaults to resources/sample_folder. The first 24 zeros, ones and sevens of digits.npz,
in file order, become 32x32 greyscale PNGs; README.txt, which explains the layout, is not an
image, so loading the folder also shows how a file is skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

DIGITS = Path(__file__).with_name("digits.npz")
OUTPUT = Path(__file__).resolve().parents[1] / "sample_folder"
CLASSES = {"zero": 0, "one": 1, "seven": 7}
PER_CLASS = 24
SCALE = 4  # 8x8 -> 32x32, each pixel a 4x4 block
README = """\
A sample of your own folder of images: one subfolder per class, named after the class,
with that class's pictures (PNG, JPEG, BMP, GIF or WebP) inside.

    sample_folder/
        zero/   zero_00.png, zero_01.png, ...
        one/    one_00.png, ...
        seven/  seven_00.png, ...

The pictures are handwritten digits from the UCI data set in resources/data/digits.npz.
This file is not in a class folder, so the playground lists it as skipped.
"""


def write_sample(output: Path) -> None:
    with np.load(DIGITS) as digits:
        images, labels = digits["images"], digits["labels"]
    for name, digit in CLASSES.items():
        folder = output / name
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images[labels == digit][:PER_CLASS]):
            pixels = (image.astype(np.uint16) * 255 // 16).astype(np.uint8)
            pixels = pixels.repeat(SCALE, axis=0).repeat(SCALE, axis=1)
            # uncompressed: zlib and zlib-ng (in Pillow's wheels) compress to different bytes, and
            # the shipped files must be the same bytes whichever Pillow rebuilds them
            Image.fromarray(pixels).save(folder / f"{name}_{i:02d}.png", compress_level=0)
    (output / "README.txt").write_text(README, encoding="utf-8", newline="\n")


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[0]) if argv else OUTPUT
    write_sample(output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
