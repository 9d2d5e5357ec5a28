"""The package's wiring: imports point one way, no cycles, private names stay private, and the
boundaries to DuckDB and pyfixest are each one module.

The layer order is documented in ``docs/architecture.md``; :data:`LAYERS` here is the check. Every
``import`` in ``src/`` counts, including the ones inside functions (a lazy import is still a
dependency).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "sanctuary_lab"

#: Lowest first. A module may import modules of its own layer or of a lower one, never higher.
LAYERS: tuple[str, ...] = (
    "core",
    "sources",
    "warehouse",
    "inference",
    "designs",
    "studies",
    "multiverse",
    "report",
    "pipeline",
    "cli",
)

#: The one module allowed to import each boundary library.
BOUNDARIES: dict[str, str] = {
    "pyfixest": f"{PKG}.inference.fixest",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PKG).rglob("*.py"))}


MODULES = _modules()


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:  # the package's own __init__ (version string only)
        return "core"
    return parts[1]


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import in the file."""
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rsplit(".", 1)[0]
    out: list[tuple[str, list[str], int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((alias.name, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, [a.name for a in node.names], node.lineno))
    return out


def _resolve(target: str, names: list[str]) -> list[str]:
    """The project modules an import statement depends on."""
    found = []
    for name in names:
        if f"{target}.{name}" in MODULES:  # ``from pkg import module``
            found.append(f"{target}.{name}")
    if target in MODULES and len(found) < len(names):
        found.append(target)
    if not names and target in MODULES:
        found.append(target)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, names, _ in _imports(module, path):
            if target == PKG or target.startswith(PKG + "."):
                for dep in _resolve(target, names):
                    if dep != module:
                        graph[module].add(dep)
    return graph


def test_every_top_level_name_has_a_layer() -> None:
    unknown = sorted({_layer(m) for m in MODULES} - set(LAYERS))
    assert not unknown, f"add these to LAYERS (and docs/architecture.md): {unknown}"


def test_imports_point_one_way() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = []
    for module, path in MODULES.items():
        for target, _names, line in _imports(module, path):
            if not (target == PKG or target.startswith(PKG + ".")):
                continue
            src, dst = _layer(module), _layer(target)
            if rank[dst] > rank[src]:
                upward.append(f"{path.relative_to(SRC)}:{line} ({src}) imports {target} ({dst})")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_private_names_stay_inside() -> None:
    """A ``_name`` is used only in its own module; a ``_module`` only inside its package."""
    bad = []
    for module, path in MODULES.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for target, names, line in _imports(module, path):
            if not target.startswith(PKG + "."):
                continue
            where = f"{path.relative_to(SRC)}:{line}"
            for part_index, part in enumerate(target.split(".")):
                if part.startswith("_") and not part.startswith("__"):
                    owner = ".".join(target.split(".")[:part_index])
                    if not (package == owner or package.startswith(owner + ".")):
                        bad.append(f"{where} imports {target} from outside {owner}")
            for name in names:
                if not name.startswith("_") or name.startswith("__"):
                    continue
                if f"{target}.{name}" in MODULES:  # a private module: only from inside its package
                    if not (package == target or package.startswith(target + ".")):
                        bad.append(f"{where} imports {target}.{name} from outside {target}")
                else:
                    bad.append(f"{where} imports private name {name} from {target}")
    assert not bad, "private names crossing modules:\n" + "\n".join(bad)


@pytest.mark.parametrize("library", sorted(BOUNDARIES))
def test_boundary_library_imported_in_one_module(library: str) -> None:
    users = sorted(
        module
        for module, path in MODULES.items()
        for target, _names, _line in _imports(module, path)
        if target == library or target.startswith(library + ".")
    )
    assert set(users) <= {BOUNDARIES[library]}, (
        f"{library} is imported outside its boundary module {BOUNDARIES[library]}: {users}"
    )


def test_duckdb_is_opened_in_one_module() -> None:
    opener = f"{PKG}.warehouse.db"
    users = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
            ):
                users.append(f"{path.relative_to(SRC)}:{node.lineno}")
    outside = [u for u in users if not u.startswith("sanctuary_lab/warehouse/db.py:")]
    assert not outside, f"duckdb.connect outside {opener}: {outside}"


def test_extension_points_are_explicit_registries() -> None:
    """No module discovers plugins by scanning packages or importing names built at run time."""
    scanners = []
    for module, path in MODULES.items():
        for target, names, line in _imports(module, path):
            if target == "pkgutil" or (target == "importlib" and "import_module" in names):
                scanners.append(f"{path.relative_to(SRC)}:{line}")
        text = path.read_text(encoding="utf-8")
        if "importlib.import_module(" in text or "def __getattr__(name" in text:
            scanners.append(f"{path.relative_to(SRC)} (import_module / module __getattr__)")
    assert not scanners, "registry by discovery:\n" + "\n".join(scanners)


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The cycle and layer checks see a planted violation (so a green run means something)."""
    assert "sanctuary_lab.cli" in MODULES and "sanctuary_lab.core.errors" in MODULES
    graph = _graph()
    assert any(dep.startswith(f"{PKG}.core") for deps in graph.values() for dep in deps)
    rank = {name: i for i, name in enumerate(LAYERS)}
    assert rank[_layer("sanctuary_lab.cli")] > rank[_layer("sanctuary_lab.core.errors")]
    planted = tmp_path / "m.py"
    planted.write_text("from sanctuary_lab.cli import app\nfrom x import _y\n")
    found = _imports("sanctuary_lab.core.m", planted)
    assert ("sanctuary_lab.cli", ["app"], 1) in found and ("x", ["_y"], 2) in found
