"""A user's own photos as a classification data set: a folder with one subfolder per class.

Numpy and Pillow only (Pillow imported where it is used), so the window can scan a folder and show
its counts without torch. Whatever a file holds, it is either used or listed in ``skipped`` with a
reason the user can act on; only the folder as a whole can fail, with a ``FolderError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

MAX_FOLDER_IMAGES = 5000  # refused before decoding: a whole photo library would fill the memory
MAX_IMAGE_PIXELS = 40_000_000  # larger headers are decompression bombs, or photos beyond any need
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MIN_SIDE, MAX_SIDE = 8, 512  # the pixel sizes a model may ask for
SHOWN_SKIPS = 5  # a summary names this many skipped items, then counts the rest


class FolderError(ValueError):
    """Why a folder cannot be a data set, in one line for the user."""


@dataclass
class FolderImages:
    images: np.ndarray  # uint8 (N, C, size, size)
    labels: np.ndarray  # int64 (N,), an index into classes
    classes: list[str]  # the subfolders that kept at least one image, sorted
    skipped: list[tuple[str, str]]  # (path relative to the folder, reason), files and folders

    def summary(self) -> str:
        counts = np.bincount(self.labels, minlength=len(self.classes))
        text = (f"{len(self.classes)} classes, {len(self.labels)} images ("
                + ", ".join(f"{name} {count}" for name, count in zip(self.classes, counts)) + ")")
        if self.skipped:
            shown = [f"{path} ({reason})" for path, reason in self.skipped[:SHOWN_SKIPS]]
            if len(self.skipped) > SHOWN_SKIPS:
                shown.append(f"and {len(self.skipped) - SHOWN_SKIPS} more")
            text += f"; skipped {len(self.skipped)}: " + ", ".join(shown)
        return text


def scan_folder(path) -> tuple[dict[str, list[Path]], list[tuple[str, str]]]:
    """The image files of each class, by name alone, and what is left out, so the window can show
    counts at once. Names starting with a dot are left out: ``.ipynb_checkpoints`` is no class and
    macOS's ``._photo.jpg`` no photo."""
    root = Path(path)
    if not root.is_dir():
        raise FolderError(f"{root} is not a folder" if root.exists() else f"{root} does not exist")
    try:
        entries = sorted(root.iterdir())
    except OSError as error:
        raise FolderError(f"cannot read {root}: {error.strerror or error}") from None
    if not any(entry.is_dir() for entry in entries):
        raise FolderError(f"{root} has no subfolders: put one subfolder per class "
                          "(cat/, dog/, ...) with that class's images inside")
    classes: dict[str, list[Path]] = {}
    skipped: list[tuple[str, str]] = []
    found = 0
    for entry in entries:
        if entry.name.startswith("."):
            skipped.append((entry.name + "/" * entry.is_dir(), "hidden"))
        elif not entry.is_dir():
            skipped.append((entry.name, "not in a class folder"))
        elif files := _class_files(entry, skipped):
            classes[entry.name] = files
            found += len(files)
            if found > MAX_FOLDER_IMAGES:
                raise FolderError(f"{root} holds more than {MAX_FOLDER_IMAGES} images, the most a "
                                  "data set may have: pick fewer images per class")
        else:
            skipped.append((entry.name + "/", "no usable images"))
    return classes, skipped


def _class_files(folder: Path, skipped: list[tuple[str, str]]) -> list[Path]:
    """The files of one class folder that may be images, judged by their names; the rest go to
    ``skipped``."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        skipped.append((folder.name + "/", f"cannot read: {error.strerror or error}"))
        return []
    files = []
    for entry in entries:
        where = f"{folder.name}/{entry.name}"
        if entry.name.startswith("."):
            skipped.append((where + "/" * entry.is_dir(), "hidden"))
        elif entry.is_dir():
            skipped.append((where + "/", "a folder inside a class folder"))
        elif entry.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append((where, "not an image"))
        else:
            files.append(entry)
    return files


def load_image_folder(path, size: int, channels: int, resize: Optional[int] = None,
                      progress: Optional[Callable[[int, int], None]] = None) -> FolderImages:
    """Decode every image of a folder as ``channels`` x ``size`` x ``size``: the shorter side
    scaled to ``resize`` (default ``size``), then the centre cut out, as ImageNet models expect
    (224 out of 256). ``progress(done, total)`` follows each file; an exception it raises stops
    the loading, which is how a window cancels it."""
    resize = size if resize is None else resize
    if not MIN_SIDE <= size <= MAX_SIDE:
        raise ValueError(f"size must be {MIN_SIDE} to {MAX_SIDE} pixels, got {size}")
    if not size <= resize <= MAX_SIDE:
        raise ValueError(f"resize must be from size ({size}) to {MAX_SIDE} pixels, got {resize}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    files, skipped = scan_folder(path)
    _require_two_classes(path, {name: len(paths) for name, paths in files.items()})
    total = sum(len(paths) for paths in files.values())
    images = np.empty((total, channels, size, size), np.uint8)
    counts: dict[str, int] = {}
    kept = done = 0
    for name, paths in files.items():
        for file in paths:
            picture = _read_image(file, "RGB" if channels == 3 else "L", size, resize)
            if isinstance(picture, str):
                skipped.append((f"{name}/{file.name}", picture))
            else:
                images[kept] = picture
                kept += 1
                counts[name] = counts.get(name, 0) + 1
            done += 1
            if progress:
                progress(done, total)
        if name not in counts:
            skipped.append((name + "/", "no usable images"))
    _require_two_classes(path, counts)
    labels = np.repeat(np.arange(len(counts), dtype=np.int64), list(counts.values()))
    return FolderImages(images[:kept], labels, list(counts), sorted(skipped))


def _require_two_classes(path, counts: dict[str, int]) -> None:
    """Checked on the file names first, so that a folder of one class fails before any decoding."""
    if len(counts) < 2:
        found = ", ".join(f"{name} ({n} image{'s' * (n != 1)})" for name, n in counts.items())
        raise FolderError(f"{path} needs at least 2 classes with images; "
                          + (f"found 1: {found}" if counts else "found none"))


def _read_image(file: Path, mode: str, size: int, resize: int) -> np.ndarray | str:
    """The picture as a uint8 (C, size, size) array, or the reason it cannot be used.

    Transparent pixels are laid on white, as a page or a viewer shows them: the colour stored
    under them is arbitrary (often black) and would otherwise become part of the picture."""
    from PIL import Image, ImageOps

    try:
        with Image.open(file) as image:
            # Pillow's own check stops only at twice its 89-megapixel limit, and we need far fewer
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return f"too large: {image.width}x{image.height} pixels, over {MAX_IMAGE_PIXELS:,}"
            image.draft(mode, (resize, resize))  # a JPEG decodes at 1/2..1/8 scale, much faster
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode.startswith("I"):  # 16-bit grey, which convert() would clip at 255
                image = Image.fromarray((np.asarray(image) >> 8).clip(0, 255).astype(np.uint8))
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                white = Image.new("RGBA", image.size, "white")
                image = Image.alpha_composite(white, image.convert("RGBA"))
            image = image.convert(mode)
            # the centre square that survives the crop, resampled in one step: the same pixels as
            # scaling the whole picture first, without an enormous intermediate for a long strip
            side = min(image.size) * size / resize
            left, top = (image.width - side) / 2, (image.height - side) / 2
            image = image.resize((size, size), Image.Resampling.BILINEAR,
                                 box=(left, top, left + side, top + side))
            return np.atleast_3d(np.asarray(image)).transpose(2, 0, 1)
    except Image.DecompressionBombError:
        return f"too large: over {MAX_IMAGE_PIXELS:,} pixels"
    except Image.UnidentifiedImageError:
        return "cannot decode: not an image Pillow can read"
    except Exception as error:  # malformed data raises OSError, SyntaxError, struct.error, ...
        reason = str(error).splitlines()[0][:80] if str(error) else type(error).__name__
        return f"cannot decode: {reason}"
