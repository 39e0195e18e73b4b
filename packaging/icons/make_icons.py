"""Render the app icon from its SVG sources into the PNGs, the .ico and the iconset that packages use.

Run from anywhere, with the project's venv (it needs only PySide6 with QtSvg; no display)::

    .venv/bin/python packaging/icons/make_icons.py                # hicolor/ PNGs + SVG, playground.ico
    .venv/bin/python packaging/icons/make_icons.py --iconset DIR  # also DIR/playground.iconset (macOS)

Sources, all in this folder:

* ``playground.svg``: the icon, drawn for 32 px and up; also the scalable icon of the theme.
* ``playground-16.svg`` and ``playground-24.svg``: the same design fitted to the 16 and 24 px pixel
  grids (whole-pixel border, nodes and edges). Scaled down, the big drawing blurs to grey there.

Outputs, written next to this script and committed (about 75 KB together):

* ``hicolor/<N>x<N>/apps/playground.png`` for N in 16, 24, 32, 48, 64, 128, 256, and
  ``hicolor/scalable/apps/playground.svg``: a freedesktop icon theme tree. The .deb copies it to
  ``/usr/share/icons/hicolor/``, where ``Icon=playground`` in ``playground.desktop`` finds it.
* ``playground.ico``: the Windows icon (the PyInstaller spec's ``icon=`` for ``playground.exe``,
  and the NSIS installer's icon). Qt's ico writer stores one image per file, so this script writes
  the ICO container itself: a 6-byte ICONDIR (reserved 0, type 1 = icon, image count), then one
  16-byte ICONDIRENTRY per image (width, height with 0 meaning 256, colour count 0, reserved 0,
  planes 1, bits per pixel 32, byte size, byte offset), then the images, each a whole PNG file.
  PNG entries are read by Windows Vista and later, by PyInstaller and by NSIS 3.

macOS's ``.icns`` is not made here: it is made on a Mac by Apple's ``iconutil`` from an iconset
folder. ``--iconset DIR`` writes that folder (``icon_16x16.png`` ... ``icon_512x512@2x.png``, the
names iconutil requires); then ``iconutil -c icns DIR/playground.iconset -o
packaging/icons/playground.icns``. packaging/macos/README.md gives the steps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# iconutil's names: (file name, pixel size)
ICONSET = [(f"icon_{n}x{n}{'@2x' if k == 2 else ''}.png", n * k)
           for n in (16, 32, 128, 256, 512) for k in (1, 2)]


def source_for(size: int) -> Path:
    """The drawing to render at ``size`` pixels: a pixel-fitted one where there is one."""
    fitted = HERE / f"playground-{size}.svg"
    return fitted if fitted.exists() else HERE / "playground.svg"


def render(size: int):
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    source = source_for(size)
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {source}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG", 0):  # for PNG, quality 0 = smallest file (zlib level 9)
        raise SystemExit("make_icons: Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding each PNG whole (see the module docstring for the layout)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for n in sizes:
        blob = pngs[n]
        dim = 0 if n >= 256 else n
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iconset", type=Path, metavar="DIR",
                        help="also write DIR/playground.iconset for macOS's iconutil")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (fonts, plugins)

    theme = HERE / "hicolor"
    pngs: dict[int, bytes] = {}
    for n in SIZES:
        pngs[n] = png_bytes(render(n))
        target = theme / f"{n}x{n}" / "apps" / "playground.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[n])
    scalable = theme / "scalable" / "apps" / "playground.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "playground.svg", scalable)
    ico = HERE / "playground.ico"
    ico.write_bytes(ico_bytes({n: pngs[n] for n in ICO_SIZES}))

    written = [theme / f"{n}x{n}" / "apps" / "playground.png" for n in SIZES] + [scalable, ico]
    if args.iconset:
        folder = args.iconset / "playground.iconset"
        folder.mkdir(parents=True, exist_ok=True)
        for name, n in ICONSET:
            (folder / name).write_bytes(pngs.get(n) or png_bytes(render(n)))
            written.append(folder / name)
    total = sum(p.stat().st_size for p in written)
    for p in written:
        print(f"{p.stat().st_size:8d}  {p}")
    print(f"{total:8d}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
