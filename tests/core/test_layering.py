"""The core's layering: no Qt anywhere in it, no import cycles, and the parts the window's process
reads (the spec, the registries, the presets, a checkpoint's header) free of torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import playground.core

CORE = Path(playground.core.__file__).parent
QT = {"PySide6", "pyqtgraph", "superqt", "shiboken6", "qtpy"}
TORCH_FREE = ["playground.core.spec", "playground.core.choices", "playground.core.presets",
              "playground.core.plan", "playground.core.pictures", "playground.core.checkpoint_file",
              "playground.core.schedules", "playground.core.losses", "playground.core.optimizers",
              "playground.core.backbones", "playground.core.validate", "playground.core.download",
              "playground.core.image_folder", "playground.core.sweep", "playground.core.lecture",
              "playground.core.phenomena", "playground.core.compare", "playground.core.surfaces"]


def _imports(tree: ast.AST, typing_only_too: bool) -> set[str]:
    """Modules a file imports, at the top or inside functions; imports under ``if TYPE_CHECKING``
    (which never run) only with ``typing_only_too``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test) and not typing_only_too:
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


def _core_modules() -> dict[str, ast.AST]:
    """Every module of the core, its packages (``export``) included, by dotted name."""
    modules = {}
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            modules[".".join(("playground", "core", *parts))] = ast.parse(path.read_text(encoding="utf-8"))
    return modules


def test_core_never_imports_qt_not_even_inside_a_function():
    for name, tree in _core_modules().items():
        roots = {module.split(".")[0] for module in _imports(tree, typing_only_too=True)}
        assert not roots & QT, f"{name} imports {roots & QT}"


def test_the_module_list_reaches_into_packages():
    assert {"playground.core.spec", "playground.core.export", "playground.core.export.writing"} <= set(_core_modules())


def test_core_modules_import_each_other_without_a_cycle():
    modules = _core_modules()
    graph = {name: {m for m in _imports(tree, typing_only_too=False) if m in modules} - {name}
             for name, tree in modules.items()}
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        for imported in sorted(graph[name]):
            walk(imported, path + [name])
        done.add(name)

    for name in graph:
        walk(name, [])


def test_what_the_window_reads_imports_no_torch():
    code = (f"import sys; import {', '.join(TORCH_FREE)}; "
            "from playground.core.presets import load_experiment, preset_names; "
            "[load_experiment(n) for n in preset_names()]; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'safetensors')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
