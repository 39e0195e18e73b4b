"""The datasets: TensorFlow Playground's 2D sets, two moons, 8x8 handwritten digits, stroke glyphs,
and a folder of your own images (loaded by image_folder.py, not generated).

The 2D generators follow TF Playground's src/dataset.ts, with its positive label (+1) as class 1
and its negative label (-1) as class 0. Each one uses only ``np``, ``math``, its arguments and
helpers defined inside it, because the code exporter pastes its source into a standalone script.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from playground.core.paths import resources_dir
from playground.core.registry import Registry


@dataclass(frozen=True)
class DatasetInfo:
    kind: str  # "points" or "image"
    task: str  # "classification" or "regression"
    num_classes: int  # 0 for regression
    default_samples: int
    generate: Callable  # (n_samples, noise, rng) -> (X, y)
    image_shape: Optional[tuple[int, int, int]] = None  # (C, H, W) for images
    extent: float = 0.0  # points lie in [-extent, extent]^2
    fixed_size: bool = False  # a file of examples (ask for at most default_samples), not a generator
    pixel_max: float = 1.0  # images: the value of full ink or full brightness
    ink: bool = True  # images: drawn as dark ink on white (digits, glyphs), else as photos


# -- 2D classification ----------------------------------------------------------------------------


def circle(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc (class 1) inside a ring (class 0). Noise moves the point the label is read from, not
    the stored point, so noisy labels show up as wrong colours at the right places."""
    n_inner = n_samples // 2
    radius = np.concatenate([rng.uniform(0, 2.5, n_inner), rng.uniform(3.5, 5, n_samples - n_inner)])
    angle = rng.uniform(0, 2 * math.pi, n_samples)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    noisy = points + rng.uniform(-5, 5, (n_samples, 2)) * noise
    labels = (np.hypot(noisy[:, 0], noisy[:, 1]) < 2.5).astype(np.int64)
    return points, labels


def xor(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Quadrants: class 1 where x and y share a sign. Points are pushed 0.3 off the axes so that
    the classes are separated by a visible gap when there is no noise."""
    points = rng.uniform(-5, 5, (n_samples, 2))
    points += np.where(points > 0, 0.3, -0.3)
    noisy = points + rng.uniform(-5, 5, (n_samples, 2)) * noise
    labels = (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)
    return points, labels


def gauss(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs, class 1 at (2, 2) and class 0 at (-2, -2). Noise 0..0.5 widens the
    variance linearly from 0.5 to 4, until the blobs overlap."""
    variance = 0.5 + (4 - 0.5) * noise / 0.5
    counts = [n_samples // 2, n_samples - n_samples // 2]
    centres = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), counts, axis=0)
    points = centres + rng.normal(0, math.sqrt(variance), (n_samples, 2))
    labels = np.repeat(np.array([1, 0], dtype=np.int64), counts)
    return points, labels


def spiral(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, 1.75 turns each; class 0 is class 1 turned by half a turn."""

    def arm(n: int, turn: float) -> np.ndarray:
        i = np.arange(n)
        r = i / n * 5
        t = 1.75 * i / n * 2 * math.pi + turn
        return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)

    counts = [n_samples // 2, n_samples - n_samples // 2]
    points = np.concatenate([arm(counts[0], 0.0), arm(counts[1], math.pi)])
    points += rng.uniform(-1, 1, (n_samples, 2)) * noise
    labels = np.repeat(np.array([1, 0], dtype=np.int64), counts)
    return points, labels


def moons(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles as in scikit-learn's make_moons (upper moon class 0, lower
    moon class 1), at random angles, centred and scaled by 10/3 so that x spans [-5, 5] and y
    [-2.5, 2.5]. Noise adds Gaussian jitter with std 2 * noise: at 0.5 (std 1) the moons overlap."""
    counts = [n_samples // 2, n_samples - n_samples // 2]
    upper_angle = rng.uniform(0, math.pi, counts[0])
    lower_angle = rng.uniform(0, math.pi, counts[1])
    upper = np.stack([np.cos(upper_angle), np.sin(upper_angle)], axis=1)
    lower = np.stack([1 - np.cos(lower_angle), 0.5 - np.sin(lower_angle)], axis=1)
    points = (np.concatenate([upper, lower]) - [0.5, 0.25]) * (10 / 3)
    points += rng.normal(0, 2 * noise, (n_samples, 2))
    labels = np.repeat(np.array([0, 1], dtype=np.int64), counts)
    return points, labels


# -- 2D regression --------------------------------------------------------------------------------


def plane(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Target (x + y) / 10, TF's linear map of [-10, 10] to [-1, 1], not clamped: the corners of
    the [-6, 6] square reach +-1.2. Noise moves the point the target is read from."""
    points = rng.uniform(-6, 6, (n_samples, 2))
    noisy = points + rng.uniform(-6, 6, (n_samples, 2)) * noise
    return points, (noisy[:, 0] + noisy[:, 1]) / 10


def multi_gauss(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Six cone-shaped bumps of height +1 or -1 and radius 2 on a 3x2 grid; the target is the
    strongest bump at the (noisy) point, 0 between them."""
    points = rng.uniform(-6, 6, (n_samples, 2))
    noisy = points + rng.uniform(-6, 6, (n_samples, 2)) * noise
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    distances = np.linalg.norm(noisy[:, None, :] - centres[None, :, :], axis=2)
    bumps = signs * np.clip(1 - distances / 2, 0, 1)
    strongest = np.argmax(np.abs(bumps), axis=1)
    return points, np.take_along_axis(bumps, strongest[:, None], axis=1)[:, 0]


# -- images ---------------------------------------------------------------------------------------

DIGITS_SCRIPT = "resources/data/make_digits.py"


def digits_path() -> Path:
    return resources_dir() / "data" / "digits.npz"


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8 (N, 8, 8), pixels 0..16) and labels (uint8 (N,)). A missing or broken file
    fails here with the way to rebuild it, rather than deep inside training."""
    path = digits_path()
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except Exception as e:  # a missing file, a truncated zip, garbage bytes, a missing array
        raise RuntimeError(
            f"cannot read the digits data {path} ({type(e).__name__}: {e}); "
            f"rebuild it with {DIGITS_SCRIPT} (see resources/data/README.md)"
        ) from e
    if images.ndim != 3 or images.shape[1:] != (8, 8) or labels.shape != (len(images),):
        raise RuntimeError(
            f"the digits data {path} holds images {images.shape} and labels {labels.shape}, "
            f"expected (N, 8, 8) and (N,); rebuild it with {DIGITS_SCRIPT}"
        )
    return images, labels


def digits(n_samples: Optional[int], noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Raw pixels 0..16 as float64 (n, 1, 8, 8). None (or more than there are) means all 1,797;
    fewer are a random subset. ``noise`` is ignored: the handwriting is noisy enough."""
    images, labels = load_digits()
    if n_samples is not None and n_samples < len(labels):
        chosen = rng.choice(len(labels), n_samples, replace=False)
        images, labels = images[chosen], labels[chosen]
    return images[:, None].astype(np.float64), labels.astype(np.int64)


GLYPH_CLASSES = 40


def glyphs(n_samples: Optional[int], noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Made-up 16x16 symbols of four pen strokes each, 40 classes in turn (balanced), each drawn
    rotated (up to 29 degrees), scaled (0.65 to 1.1) and shifted (up to 3 pixels), with pixel noise.
    The alphabet is fixed (its own seed); ``rng`` draws the instances; ``noise`` is ignored.

    Plenty of data for pretraining on classes 0-29, and new classes 30-39 for transfer: with five
    examples each, a network must already know strokes at any position to tell them apart."""
    size, strokes = 16, 4
    n_samples = 16_000 if n_samples is None else n_samples

    def alphabet() -> np.ndarray:
        own = np.random.default_rng(1234)
        anchors = np.array([(x, y) for y in np.linspace(-0.6, 0.6, 4) for x in np.linspace(-0.6, 0.6, 4)])
        shapes, seen = [], set()
        while len(shapes) < GLYPH_CLASSES:
            pairs = tuple(sorted({tuple(sorted(own.choice(16, 2, replace=False))) for _ in range(strokes)}))
            if len(pairs) == strokes and pairs not in seen:
                seen.add(pairs)
                shapes.append([[anchors[a], anchors[b]] for a, b in pairs])
        return np.array(shapes)  # (classes, strokes, 2 ends, xy)

    def draw(segments: np.ndarray, width: np.ndarray) -> np.ndarray:
        """Distance from each pixel centre to the nearest stroke, turned into ink."""
        centres = (np.arange(size) + 0.5) / size * 2 - 1
        pixels = np.stack(np.meshgrid(centres, centres), -1).reshape(-1, 2)
        start, along = segments[:, :, 0], segments[:, :, 1] - segments[:, :, 0]
        offset = pixels[None, None] - start[:, :, None]
        length2 = np.maximum((along * along).sum(-1), 1e-9)[:, :, None]
        t = np.clip((offset * along[:, :, None]).sum(-1) / length2, 0, 1)
        distance = np.linalg.norm(offset - t[..., None] * along[:, :, None], axis=-1).min(1)
        return np.clip(1 - (distance - width[:, None]) / 0.08, 0, 1)

    labels = np.arange(n_samples) % GLYPH_CLASSES
    rng.shuffle(labels)
    angle = rng.uniform(-0.5, 0.5, n_samples)
    scale = rng.uniform(0.65, 1.1, n_samples)
    shift = rng.uniform(-0.4, 0.4, (n_samples, 2))
    width = rng.uniform(0.07, 0.13, n_samples)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    turn = np.stack([np.stack([cos, -sin], 1), np.stack([sin, cos], 1)], 1)
    segments = np.einsum("nij,nskj->nski", turn, alphabet()[labels]) + shift[:, None, None, :]
    ink = np.concatenate([draw(segments[i:i + 2048], width[i:i + 2048]) for i in range(0, n_samples, 2048)])
    images = ink + rng.normal(0, 0.1, ink.shape)
    return images.reshape(n_samples, 1, size, size), labels.astype(np.int64)


# -- the registry ---------------------------------------------------------------------------------

DATASETS: Registry[DatasetInfo] = Registry("dataset")


def _points(task: str, generate: Callable) -> DatasetInfo:
    num_classes = 2 if task == "classification" else 0
    return DatasetInfo("points", task, num_classes, 500, generate, None, 6.0)


DATASETS.add(
    "circle", _points("classification", circle), "Circle",
    "One class inside a ring of the other. No straight line separates them: add the X₁² and X₂² "
    "features (then no hidden layer is needed) or use a hidden layer with at least 3 units.",
)
DATASETS.add(
    "xor", _points("classification", xor), "Exclusive or",
    "Opposite quadrants share a class. A single neuron cannot learn XOR, the classic reason for "
    "hidden layers; the X₁X₂ feature alone also separates it.",
)
DATASETS.add(
    "gauss", _points("classification", gauss), "Gaussian",
    "Two Gaussian blobs, separable by a straight line: even a network without hidden layers learns "
    "it. With noise the blobs overlap and no model can reach 100%.",
)
DATASETS.add(
    "spiral", _points("classification", spiral), "Spiral",
    "Two interleaved spirals, the hardest 2D set. Needs several hidden layers (or the sin features) "
    "and patience: a good test of depth, learning rate and initialization.",
)
DATASETS.add(
    "moons", _points("classification", moons), "Moons",
    "Two interleaving half circles (scikit-learn's make_moons). A small hidden layer bends the "
    "boundary around them; with noise they overlap, so watch the validation loss for overfitting.",
)
DATASETS.add(
    "plane", _points("regression", plane), "Plane (regression)",
    "Regression: the target rises linearly along the diagonal, (X₁ + X₂) / 10. A model without "
    "hidden layers fits it exactly; use the MSE loss.",
)
DATASETS.add(
    "multi_gauss", _points("regression", multi_gauss), "Multi Gaussian (regression)",
    "Regression: six bumps of height +1 and -1 on a grid, 0 between them. Hidden units are needed "
    "to build local bumps; use the MSE loss.",
)
DATASETS.add(
    "digits", DatasetInfo("image", "classification", 10, 1797, digits, (1, 8, 8), fixed_size=True,
                          pixel_max=16.0), "Digits (8×8)",
    "1,797 handwritten digits, 8×8 pixels with values 0 to 16 (UCI, CC BY 4.0). Ten classes: try "
    "flatten + dense layers, then conv layers; standardize the pixels first.",
)
DATASETS.add(
    "glyphs", DatasetInfo("image", "classification", GLYPH_CLASSES, 16_000, glyphs, (1, 16, 16)), "Glyphs (16×16)",
    "Made-up symbols of four pen strokes, 40 classes, drawn turned, scaled and shifted, as much data as "
    "you ask for. The shipped backbone glyphs_cnn learned classes 0-29; classes 30-39 are new to it: "
    "the transfer-learning presets teach them from a few examples each.",
)
DATASETS.add(
    "folder", DatasetInfo("image", "classification", 0, 0, None, None, ink=False), "Your own images (folder)",
    "A folder with one subfolder per class of PNG or JPEG images (data.path): your photos, resized "
    "for the network (data.image_size, or what the backbone expects). Unreadable files are listed "
    "and skipped.",
)
