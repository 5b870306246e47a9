"""The import layers of mastref (docs/architecture.rst): parsed with ``ast``, not imported.

Every ``import`` of a mastref module is read: at module level, inside functions and under
``if TYPE_CHECKING:``. A module may import only from its own floor or the floors below; the
import graph has no cycle (``TYPE_CHECKING`` imports counted); and no import of a mastref
module from another floor sits inside a function (a lazy import is for an optional or heavy
third-party dependency such as matplotlib, Dask, JAX or PEPit, which ``LAZY`` lists by the
mastref module that wraps it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "mastref"

#: The floors, ground first: a module imports only from its floor and the floors below.
#: A name ending in ``.`` is a package (every module under it).
LAYERS = (
    (
        "mastref._version",
        "mastref._validation",
        "mastref._budget",
        "mastref.solvers",
        "mastref._kernels",
        "mastref.backend",
        "mastref._watch",
    ),
    ("mastref.sketches.", "mastref.problems.", "mastref.kernels", "mastref.data"),
    ("mastref.mast", "mastref.distributed", "mastref.jax"),
    ("mastref.algorithms", "mastref.exact", "mastref.testing"),
    ("mastref.theorems.",),
    ("mastref.plotting",),
    ("mastref.verify.",),
    ("mastref.catalogue.",),
    ("mastref.report", "mastref.experiments", "mastref.deep", "mastref.cli"),
    ("mastref",),
)

#: mastref modules that wrap a heavy third-party dependency (matplotlib): a function may
#: import them lazily.
LAZY = ("mastref.plotting", "mastref.verify.plot")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def floor(module: str) -> int:
    """The floor of a mastref module (``ValueError`` for a module no floor lists)."""
    for i, names in enumerate(LAYERS):
        for name in names:
            if module == name or (name.endswith(".") and (module + ".").startswith(name)):
                return i
    raise ValueError(f"{module} is on no floor of LAYERS")


def _resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import, known) -> list:
    """The mastref modules an import statement reads (``from . import x`` -> ``pkg.x`` when
    ``x`` is a module, else ``pkg``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "mastref"]
    if node.level == 0:
        base = node.module or ""
        if base.split(".")[0] != "mastref":
            return []
    else:
        package = module if is_package else module.rsplit(".", 1)[0]
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    out = []
    for alias in node.names:
        full = f"{base}.{alias.name}"
        out.append(full if full in known else base)
    return out


def imports() -> list[tuple[str, str, str, int]]:
    """``(importer, imported, where, line)`` for every import of a mastref module; ``where`` is
    ``"module"``, ``"function"`` or ``"type-checking"``."""
    modules = _modules()
    out = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"

        def visit(node, where, module=module, is_package=is_package):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _resolve(module, is_package, child, modules):
                        out.append((module, target, where, child.lineno))
                    continue
                inner = where
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    inner = "function" if where == "module" else where
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    inner = "type-checking"
                visit(child, inner)

        visit(tree, "module")
    return out


def cycles(edges) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set] = {}
    for a, b in edges:
        if a != b:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _is_inside(importer: str, target: str) -> bool:
    """A package's ``__init__`` importing its own submodules (not a dependency edge)."""
    return target.startswith(importer + ".")


def test_every_module_is_on_a_floor():
    for module in _modules():
        floor(module)


def test_no_upward_import():
    upward = [
        f"{a} (floor {floor(a)}) imports {b} (floor {floor(b)}) at line {line} ({where})"
        for a, b, where, line in imports()
        if floor(b) > floor(a)
    ]
    assert upward == []


def test_no_import_cycle():
    edges = [(a, b) for a, b, _, _ in imports() if not _is_inside(a, b)]
    assert cycles(edges) == []


def test_no_cross_floor_import_inside_a_function():
    lazy = [
        f"{a} imports {b} inside a function at line {line}"
        for a, b, where, line in imports()
        if where == "function" and floor(a) != floor(b) and b not in LAZY
    ]
    assert lazy == []


def test_the_checker_sees_an_upward_import(tmp_path):
    """The parser finds a function-level and a TYPE_CHECKING import (so the tests can fail)."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..verify import check\n"
        "def f():\n    from ..catalogue import registry\n"
    )
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += _resolve("mastref.theorems.claims", False, node, {})
    assert found == ["mastref.verify", "mastref.catalogue"]
    assert floor("mastref.verify") > floor("mastref.theorems.claims")
    assert cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", ["mastref.theorems.claims", "mastref.plotting"])
def test_ground_modules_name_no_verify_type(module):
    targets = {b for a, b, _, _ in imports() if a == module}
    assert not any(t.startswith(("mastref.verify", "mastref.catalogue")) for t in targets)


def _shadowed() -> set[str]:
    """Modules of a package whose package namespace binds a non-module under the same name."""
    import importlib
    import pkgutil
    import types

    out = set()
    for module, path in _modules().items():
        if path.name != "__init__.py":
            continue
        package = importlib.import_module(module)
        for info in pkgutil.iter_modules(package.__path__):
            bound = getattr(package, info.name, None)
            if bound is not None and not isinstance(bound, types.ModuleType):
                out.add(f"{module}.{info.name}")
    return out


def test_no_function_shadows_its_module():
    shadowed = _shadowed()
    assert shadowed == set()


def test_functions_that_return_a_verdict_default_to_seed_0():
    """docs/architecture.rst, Randomness: a verdict is reproduced by default (``check_sketch``
    defaulted to fresh entropy; a new user's trial, stop 31)."""
    import inspect

    import mastref as mr
    from mastref.verify.search import run_control

    for fn in (mr.check, mr.check_sketch, mr.worst_case, run_control):
        assert inspect.signature(fn).parameters["rng"].default == 0, fn.__name__
