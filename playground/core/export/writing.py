"""Small helpers for writing code: every section of the script is built from them, so they keep its
layout (line length, rules, comments, blank lines) the same throughout."""

from __future__ import annotations

import ast
import inspect
import json
import string
import textwrap
from types import ModuleType

from playground.core.errors import SpecError

WIDTH = 100  # the script's line length


def _fill(template: str, **values) -> str:
    """A dedented code template with ``$name`` filled in (``$`` leaves the generated f-strings alone)."""
    return string.Template(textwrap.dedent(template).strip("\n")).substitute(values) + "\n"


def _comment(text: str, width: int = WIDTH - 2) -> str:
    """Text as ``#`` lines, wrapped, keeping its own line breaks."""
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width - 2) or [""]
    return "\n".join(f"# {line}".rstrip() for line in lines)


def _rule(title: str, about: str = "") -> str:
    """A ``# -- title ----`` rule, then an optional explanation."""
    rule = f"# -- {title} ".ljust(WIDTH - 1, "-")
    return rule + ("\n" + _comment(about) if about else "")


def _section(title: str, chunks: list[str], about: str = "") -> str:
    """A rule, then the section's definitions."""
    return _rule(title, about) + "\n\n\n" + _join(chunks)


def _join(chunks: list[str]) -> str:
    """Top-level definitions, two blank lines apart."""
    return "\n\n\n".join(chunk.strip("\n") for chunk in chunks if chunk) + "\n"


def _source(function) -> str:
    """A playground function as it is written (the pasted functions use only np, math and torch)."""
    return textwrap.dedent(inspect.getsource(function))


def _pasted(module: ModuleType, roots: list[str]) -> list[str]:
    """Top-level definitions of a playground module as they are written: ``roots`` and every function,
    class and constant of the module that they use, in the module's order (a constant with the
    comment above it). The pasted code may use only np, math, torch, nn and what it imports itself."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    defined: dict[str, ast.stmt] = {}
    body = ast.parse(source).body
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined[node.name] = node
        elif isinstance(node, ast.Assign):
            defined.update((target.id, node) for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            defined[node.target.id] = node
    needed: set[int] = set()
    todo = list(roots)
    while todo:
        node = defined.get(todo.pop())
        if node is None or id(node) in needed:
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            try:
                ast.literal_eval(node.value)
            except ValueError:
                raise SpecError("", f"export cannot paste {ast.unparse(node)[:60]!r} from {module.__name__}: "
                                    "not a constant (a bug in playground/core/export/)") from None
        needed.add(id(node))
        todo += [name.id for name in ast.walk(node) if isinstance(name, ast.Name)]
    chunks = []
    for node in body:
        if id(node) not in needed:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            while start > 0 and lines[start - 1].startswith("#") and not lines[start - 1].startswith("# --"):
                start -= 1
        chunks.append("\n".join(lines[start:node.end_lineno]))
    return chunks


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _assignment(name: str, value, note: str) -> str:
    """``NAME = value  # note``; a note that does not fit goes above, a long list over several lines."""
    line = f"{name} = {_literal(value)}"
    if len(line) + len(note) + 4 <= WIDTH or not note and len(line) <= WIDTH:
        return line + (f"  # {note}" if note else "")
    above = _comment(note) + "\n" if note else ""
    if len(line) <= WIDTH or not isinstance(value, list):
        return above + line
    items = textwrap.wrap(", ".join(_literal(v) for v in value) + ",", WIDTH - 4, break_long_words=False,
                          break_on_hyphens=False)
    return above + f"{name} = [\n" + "\n".join(f"    {item}" for item in items) + "\n]"


def _doc(*paragraphs: str) -> str:
    """A docstring's text inside a function (its lines indented by 4), wrapped."""
    return "\n\n    ".join(textwrap.fill(p, WIDTH - 8, subsequent_indent="    ") for p in paragraphs)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _more(lines: list[str], indent: str) -> str:
    """Lines to append to a template line, each on its own line at ``indent`` (nothing for none)."""
    return "".join(f"\n{indent}{line}" for line in lines)
