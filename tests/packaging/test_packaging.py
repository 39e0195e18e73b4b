"""The installers' files, checked without building them (a build takes minutes and hundreds of MB):
what the bundle leaves out, the spec, the .deb's control file and .desktop entry, the icons, the
Windows installer script (compiled by makensis against a stand-in bundle) and the macOS scripts."""

from __future__ import annotations

import ast
import importlib.metadata
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import playground

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import bundle_rules  # noqa: E402

# what a bare Debian lacks and the bundle does not carry (measured with ldd on a bare root)
NEEDED = {"libgl1", "libegl1", "libdrm2", "libxcb1", "libwayland-client0", "libwayland-cursor0", "libwayland-egl1",
          "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
          "libxcb-render-util0", "libxcb-shape0", "libxcb-xfixes0", "libxcb-xkb1", "libxkbcommon0",
          "libxkbcommon-x11-0", "libx11-xcb1", "libdbus-1-3", "libfontconfig1", "libfreetype6", "libglib2.0-0"}


@pytest.mark.parametrize("path", ["torch/test/test_nn.py", "torch/include/ATen/ATen.h", "torch/share/cmake/x.cmake",
                                  "torch/bin/protoc", "torch/lib/libtorchbind_test.so", "torch/lib/libjitbackend_test.so",
                                  "torch/lib/libbackend_with_compiler.so", "torch/lib/libaoti_custom_ops.so",
                                  "PySide6/Qt/translations/qt_de.qm",
                                  "PySide6/Qt/plugins/platformthemes/libqgtk3.so", "libcairo.so.2", "libpango-1.0.so.0",
                                  "libgdk_pixbuf-2.0.so.0", "libharfbuzz.so.0"])
def test_the_bundle_leaves_out_what_the_app_never_uses(path):
    assert bundle_rules.dropped(path)


@pytest.mark.parametrize("path", ["torch/bin/torch_shm_manager", "torch/lib/libtorch_cpu.so", "torch/__init__.py",
                                  "torch/_C.cpython-311-x86_64-linux-gnu.so", "PySide6/Qt/plugins/platforms/libqxcb.so",
                                  "PySide6/Qt/lib/libQt6Svg.so.6", "PySide6/Qt/lib/libQt6OpenGLWidgets.so.6",
                                  "PySide6/QtTest.abi3.so", "resources/backbones/glyphs_cnn.safetensors",
                                  "libharfbuzz-fb49c9fc.so.0.61450.0", "libjpeg-6dc8d115.so.62.4.0",
                                  "libpython3.11.so.1.0", "libxkbcommon.so.0"])
def test_the_bundle_keeps_what_the_app_needs(path):
    assert not bundle_rules.dropped(path)
    assert not bundle_rules.dropped(path.replace("/", "\\"))  # as a Windows build names it


def test_only_the_two_big_torch_libraries_are_stripped():
    assert set(bundle_rules.STRIPPED) == {"torch/lib/libtorch_cpu.so", "torch/lib/libtorch_python.so"}


def test_the_spec_builds_from_the_projects_own_files():
    spec = (PACKAGING / "playground.spec").read_text(encoding="utf-8")
    tree = ast.parse(spec)  # valid Python, as PyInstaller runs it
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls
    assert "onefile" not in spec and "dropped(" in spec
    assert (ROOT / "playground" / "__main__.py").is_file() and (ROOT / "resources" / "presets").is_dir()
    assert "freeze_support()" in (ROOT / "playground" / "__main__.py").read_text()  # the training process


def test_one_version_in_one_place():
    assert importlib.metadata.version("playground") == playground.__version__
    done = subprocess.run([sys.executable, "-m", "playground", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == f"playground {playground.__version__}"
    assert '"version"' not in (ROOT / "pyproject.toml").read_text() or "dynamic" in (ROOT / "pyproject.toml").read_text()


def control_fields(text: str) -> dict[str, str]:
    fields, last = {}, None
    for line in text.splitlines():
        if line.startswith(" "):
            fields[last] += "\n" + line
        else:
            last, _, value = line.partition(": ")
            fields[last] = value
    return fields


def test_the_control_file_names_everything_a_bare_debian_lacks():
    fields = control_fields((PACKAGING / "linux" / "control.in").read_text(encoding="utf-8"))
    for name in ("Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Section",
                 "Priority", "Description"):
        assert fields.get(name), name
    assert fields["Version"] == "@VERSION@" and fields["Installed-Size"] == "@INSTALLED_SIZE@"
    assert fields["Architecture"] == "amd64"
    depends = {d.strip().split(" ")[0] for d in fields["Depends"].split(",")}
    assert NEEDED <= depends, NEEDED - depends
    assert "fonts-dejavu-core | fonts-freefont-ttf" in fields["Depends"]
    assert "libc6 (>= 2.36)" in fields["Depends"]  # built on Debian 12: its glibc is the floor
    assert not any(d.startswith("python") for d in depends)  # the bundle carries its own


def test_the_build_script_is_valid_and_reads_the_version_it_packages():
    script = (PACKAGING / "build-deb.sh").read_text(encoding="utf-8")
    subprocess.run(["bash", "-n", str(PACKAGING / "build-deb.sh")], check=True)
    assert "playground/__init__.py" in script and "torch==" in script and "-Zzstd" in script
    for shipped in ("packaging/linux/playground.desktop", "packaging/icons/hicolor", "packaging/linux/control.in",
                    "packaging/playground.spec"):
        assert shipped in script and (ROOT / shipped).exists(), shipped


def test_the_desktop_entry_is_valid():
    validate = shutil.which("desktop-file-validate")
    assert validate, "desktop-file-utils is missing: packaging/install.sh --test installs it"
    entry = PACKAGING / "linux" / "playground.desktop"
    done = subprocess.run([validate, str(entry)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    text = entry.read_text(encoding="utf-8")
    assert "Exec=playground" in text and "Icon=playground" in text


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_the_icon_comes_in_every_size_from_its_svg():
    hicolor = PACKAGING / "icons" / "hicolor"
    for size in (16, 24, 32, 48, 64, 128, 256):
        assert png_size(hicolor / f"{size}x{size}" / "apps" / "playground.png") == (size, size)
    ElementTree.parse(hicolor / "scalable" / "apps" / "playground.svg")
    assert (PACKAGING / "icons" / "playground.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"


def test_the_windows_installer_script_compiles():
    assert shutil.which("makensis"), "nsis is missing: packaging/install.sh --test installs it"
    done = subprocess.run(["bash", str(PACKAGING / "windows" / "check.sh")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_the_macos_scripts_are_valid():
    subprocess.run(["bash", "-n", str(PACKAGING / "macos" / "make-dmg.sh")], check=True)
    ElementTree.parse(PACKAGING / "macos" / "entitlements.plist")
    assert "notarytool" in (PACKAGING / "macos" / "README.md").read_text(encoding="utf-8")


def test_a_frozen_app_runs_its_helpers_as_an_interpreter_would(tmp_path, monkeypatch, capsys):
    """sys.executable is the app itself once frozen: ``-m MODULE ARGS`` and ``-c CODE`` run as
    python would run them (the sweep's plot and the bench's thread count start it so)."""
    from playground.__main__ import run_as_interpreter

    (tmp_path / "helper_module.py").write_text("import sys\nif __name__ == '__main__':\n    print(sys.argv[1:])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert run_as_interpreter(["-m", "helper_module", "a.json", "b.png"]) == 0
    assert run_as_interpreter(["-c", "print(6 * 7)"]) == 0
    assert capsys.readouterr().out.split("\n")[:2] == ["['a.json', 'b.png']", "42"]
