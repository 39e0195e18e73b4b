"""The pictures on the dataset list's tiles: each dataset drawn as a small picture (a scatter of a 2D
set, typical digits or glyphs, a folder's first images) so that the picker shows what it offers.

They are cheap and cached (drawn once per dataset and size; a folder again only when it changes),
and need no torch: the panel imports them and the window's process never loads it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPen

from playground.core.choices import DATASETS
from playground.core.image_folder import FolderError, scan_folder
from playground.core.paths import resolve_path
from playground.ui import colors

ICON_SIZE = 48


def _scatter_image(name: str, size: int) -> QImage:
    info = DATASETS[name]
    points, targets = info.generate(200, 0.0, np.random.default_rng(0))
    if info.task == "classification":
        colours = colors.class_rgb(2)[(np.asarray(targets) == 1).astype(int)]
    else:
        colours = colors.diverging_rgb(targets)
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scale = (size - 6) / (2 * info.extent)
    painter.setPen(Qt.PenStyle.NoPen)
    for (x, y), (r, g, b) in zip(points, colours):
        painter.setBrush(QColor(int(r), int(g), int(b)))
        painter.drawEllipse(QPointF(3 + (x + info.extent) * scale, 3 + (info.extent - y) * scale), 1.7, 1.7)
    painter.setPen(QPen(QColor("#b8b8b8"), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return image


def _digits_image(size: int) -> QImage:
    """Four digits tiled 2x2, dark ink on white, pixels scaled up without smoothing; each is the
    example nearest to its class's mean, so the tiny picture shows a typical one."""
    images, labels = DATASETS["digits"].generate(None, 0.0, np.random.default_rng(0))
    cell = size // 2
    scale = max(cell // 8, 1)
    canvas = np.full((size, size), 255, np.uint8)
    for k, digit in enumerate((0, 1, 2, 3)):
        members = images[labels == digit, 0]
        pixels = members[int(np.argmin(((members - members.mean(axis=0)) ** 2).sum(axis=(1, 2))))]
        ink = (255 - pixels * (255 / 16)).astype(np.uint8)
        big = np.kron(ink, np.ones((scale, scale), np.uint8))
        row, col = divmod(k, 2)
        top, left = row * cell + (cell - big.shape[0]) // 2, col * cell + (cell - big.shape[1]) // 2
        canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
    canvas[[0, -1], :] = canvas[:, [0, -1]] = 184  # the same thin border as the 2D sets
    return QImage(canvas.tobytes(), size, size, size, QImage.Format.Format_Grayscale8).copy()


def _glyphs_image(size: int) -> QImage:
    """Four glyphs tiled 2x2, each the instance nearest to its class's mean (the typical one), the
    faint pixel noise left out and scaled up smoothly to fill its cell."""
    images, labels = DATASETS["glyphs"].generate(160, 0.0, np.random.default_rng(0))  # 4 of each class
    cell = size // 2
    picture = QImage(size, size, QImage.Format.Format_Grayscale8)
    picture.fill(QColor("white"))
    painter = QPainter(picture)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    for k, glyph in enumerate((30, 31, 32, 33)):
        members = np.clip(images[labels == glyph, 0], 0, 1)
        ink = members[int(np.argmin(((members - members.mean(axis=0)) ** 2).sum(axis=(1, 2))))]
        ink[ink < 0.3] = 0
        pixels = np.ascontiguousarray((255 - ink * 235).astype(np.uint8))
        side = pixels.shape[0]
        tile = QImage(pixels.tobytes(), side, side, side, QImage.Format.Format_Grayscale8).copy()
        row, col = divmod(k, 2)
        painter.drawImage(QRectF(col * cell, row * cell, cell, cell), tile)
    painter.setPen(QPen(QColor("#b8b8b8"), 1))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return picture


def _folder_icon(size: int) -> QImage:
    """A folder with two pictures sticking out: the tile of a folder not chosen yet."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 48
    p.setPen(QPen(QColor("#9a7b2f"), 1.2))
    p.setBrush(QColor("#e8c468"))
    p.drawRoundedRect(QRectF(5 * s, 12 * s, 16 * s, 8 * s), 2 * s, 2 * s)  # the tab
    for x, y, colour in ((12, 9, "#0877bd"), (22, 12, "#f59322")):  # two photos in it
        p.setPen(QPen(QColor("#666666"), 1))
        p.setBrush(QColor("white"))
        p.drawRect(QRectF(x * s, y * s, 18 * s, 16 * s))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(colour))
        p.drawEllipse(QRectF((x + 5) * s, (y + 3) * s, 8 * s, 8 * s))
    p.setPen(QPen(QColor("#9a7b2f"), 1.2))
    p.setBrush(QColor("#f2d48a"))
    p.drawRoundedRect(QRectF(5 * s, 18 * s, 38 * s, 24 * s), 3 * s, 3 * s)
    p.setPen(QPen(QColor("#b8b8b8"), 1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return image


def folder_image(path: Optional[str], size: int = ICON_SIZE) -> QImage:
    """The first picture of up to four classes of a folder, 2x2, each shrunk while it is decoded
    (a JPEG decodes at a fraction of its size); the plain folder picture when there is none."""
    if not path:
        return dataset_image("folder", size)
    resolved = resolve_path(path)
    try:
        stamp = resolved.stat().st_mtime
    except OSError:
        return dataset_image("folder", size)
    return _folder_pictures(str(resolved), stamp, size)


@functools.lru_cache(maxsize=8)
def _folder_pictures(path: str, mtime: float, size: int) -> QImage:
    try:
        files, _ = scan_folder(path)
    except FolderError:
        return dataset_image("folder", size)
    cell = size // 2
    # one picture of each of the first classes, then more of them; a file that does not decode is
    # passed over, and at most eight are read
    queue = [paths[i] for i in range(3) for paths in list(files.values())[:4] if i < len(paths)][:8]
    pictures: list[QImage] = []
    for file in queue:
        if len(pictures) == 4:
            break
        picture = _read_small(file, cell)
        if not picture.isNull():
            pictures.append(picture)
    if not pictures:
        return dataset_image("folder", size)
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    for k, picture in enumerate(pictures):
        row, col = divmod(k, 2)
        painter.drawImage(col * cell, row * cell, picture, (picture.width() - cell) // 2,
                          (picture.height() - cell) // 2, cell, cell)
    painter.setPen(QPen(QColor("#b8b8b8"), 1))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return image


def _read_small(file: Path, side: int) -> QImage:
    """A picture shrunk while it is decoded to cover ``side`` x ``side``; null when it cannot be read."""
    reader = QImageReader(str(file))
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and full.width() > 0 and full.height() > 0:
        scale = side / min(full.width(), full.height())
        reader.setScaledSize(QSize(max(round(full.width() * scale), side), max(round(full.height() * scale), side)))
    picture = reader.read()
    if not picture.isNull() and min(picture.width(), picture.height()) != side:
        picture = picture.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                 Qt.TransformationMode.SmoothTransformation)
    return picture


@functools.lru_cache(maxsize=None)
def dataset_image(name: str, size: int = ICON_SIZE) -> QImage:
    """A small picture of a dataset: ~200 points of a 2D set, a few digits or glyphs, a folder."""
    try:
        if name == "folder":
            return _folder_icon(size)
        if name == "glyphs":
            return _glyphs_image(size)
        if DATASETS[name].kind == "image":
            return _digits_image(size)
        return _scatter_image(name, size)
    except Exception:  # e.g. a missing digits file: the picker still works, with a blank picture
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor("#eeeeee"))
        return image
