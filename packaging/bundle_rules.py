"""What the one-folder bundle leaves out and what it strips, as rules on paths inside the bundle.

PyInstaller collects whole packages; the app never uses torch's tests, C++ headers, CMake files or
command-line tools, its test libraries, or Qt's translations (the window is in English). Measured on
torch 2.13 CPU + PySide6 (PyInstaller 6.22): 884 MB by default, 742 MB without these, 648 MB once
the two big torch libraries are stripped. torch's own .py files stay: it reads its source at import.
Imported by playground.spec and by tests/packaging, so the list is checked where it is used.
"""

from __future__ import annotations

DROPPED_FOLDERS = ("torch/test/", "torch/include/", "torch/share/", "torch/bin/",
                   "PySide6/Qt/translations/")
KEPT = ("torch/bin/torch_shm_manager",)  # torch's shared-memory helper: DataLoader workers need it
DROPPED_LIBRARIES = ("libtorchbind_test", "libjitbackend_test", "libbackend_with_compiler", "libaoti_custom_ops")
# Qt's GTK theme plugin links GTK 3, which a bare desktop may lack; Qt's own style is used instead.
# PyInstaller collects the plugin's libraries before the plugin is dropped: readelf over the bundle
# found nothing else that needs these (28 MB)
DROPPED_PLUGINS = ("PySide6/Qt/plugins/platformthemes/libqgtk3.so",)
GTK_THEME_LIBRARIES = ("libatk-1.0.so", "libcairo.so", "libcairo-gobject.so", "libpango-1.0.so", "libpangocairo-1.0.so",
                       "libpangoft2-1.0.so", "libgdk_pixbuf-2.0.so", "libthai.so", "libdatrie.so", "libfribidi.so",
                       "libgraphite2.so", "libharfbuzz.so", "libpixman-1.so", "libXrender.so", "libjpeg.so")
# stripped with --strip-unneeded, these two only: a global strip breaks other libraries' symbols
STRIPPED = ("torch/lib/libtorch_cpu.so", "torch/lib/libtorch_python.so")


def dropped(path: str) -> bool:
    """Whether a file at ``path`` (relative to the bundle's _internal folder) stays out."""
    path = path.replace("\\", "/")
    if path in KEPT:
        return False
    name = path.rsplit("/", 1)[-1]
    return (path.startswith(DROPPED_FOLDERS) or path in DROPPED_PLUGINS
            or (path.startswith("torch/lib/") and name.startswith(DROPPED_LIBRARIES))
            or ("/" not in path and name.startswith(GTK_THEME_LIBRARIES)))
