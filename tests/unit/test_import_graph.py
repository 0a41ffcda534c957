"""kitchencam's module import graph, built from the source with `ast`, is one-way at the bottom.

What counts as an edge: every `import kitchencam.x` and `from kitchencam.x import y` (or its
relative spelling `from .x import y`) anywhere in a file -- at the top, inside functions, inside
`try:` blocks -- because an import inside a function still runs, so it still ties the two modules
together (issue 13). Imports under `if TYPE_CHECKING:` never run, so the runtime graph leaves
them out; the tests hold the graph *with* them to the same rules as well (they are what mypy and
a reader follow, and the renderer naming the core's result models for its signatures points the
right way, downwards). `from kitchencam.pkg import name` is an edge to `kitchencam.pkg.name` when
that is a module, else to `kitchencam.pkg`. Importing `kitchencam.pkg.mod` is an edge to that
module only, not to the package `kitchencam.pkg` that Python also initialises on the way: a
package's `__init__` re-exporting its own submodules would otherwise be a cycle by construction.

Layers (DESIGN.md: cli on top, models/errors at the bottom):
- applications: `kitchencam.cli` (the Typer app) and its command modules `kitchencam.cli.*`,
  `kitchencam.__main__` (`python -m kitchencam`)
  and `kitchencam.demo` (a scripted run of the same use cases against the simulator, an
  application like cli); they may import anything.
- renderer: `kitchencam.render` (rich tables and the `--json` envelope); it may import the core.
- peers: everything under `kitchencam.sim` (the camera/centre simulator, a test peer, with its
  asset script); not part of a technician's run, so outside these rules (it may import the core).
- core: everything else, including `kitchencam.report` and its parts, and `kitchencam.app` (the use
  cases cli and demo call: it returns models and never renders). No core module imports an
  application or the renderer, not even for typing. The report's file renderers
  `kitchencam.report.html` and `kitchencam.report.pdf` are core (they return bytes and print
  nothing), but only `kitchencam.report` (the stage that writes the files) and the applications
  may import them: nothing below the report stage depends on a layout.

Stages (the middle row of docs/explanation/design.md): `discover`, `check`, `provision`, `centre`,
`bandwidth` and `report` (with its parts `report.*`). No stage imports another one: what two stages
share lives below them (`kitchencam.inspection`: one camera read, judged and recorded, used by
check and register; `kitchencam.rules`; `kitchencam.uplink`), and what chains stages is a use
case in `kitchencam.app`. Below the stages nothing imports a stage; the use cases may.

Run `python tests/unit/test_import_graph.py [--type-checking] [PACKAGE_DIR]` to print the graph's figures (modules,
cycles, largest module by lines) for this checkout or another one.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = "kitchencam"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE

APPLICATIONS = frozenset({"kitchencam.cli", "kitchencam.__main__", "kitchencam.demo"})
APPLICATION_PREFIXES = ("kitchencam.cli.",)  # the command modules of the cli package
RENDERERS = frozenset({"kitchencam.render"})
REPORT_LAYOUTS = frozenset({"kitchencam.report.html", "kitchencam.report.pdf"})
REPORT_STAGE = "kitchencam.report"
PEER_PREFIXES = ("kitchencam.sim",)
STAGES = ("kitchencam.discover", "kitchencam.check", "kitchencam.provision", "kitchencam.centre",
          "kitchencam.bandwidth", "kitchencam.report")
#: Stage -> stage imports still allowed, each with its reason. None remain: register (centre.py)
#: judges cameras with kitchencam.inspection, provision takes credentials_of and stored_verdicts
#: from kitchencam.rules; a new entry here needs a reason and a plan to remove it.
STAGE_TO_STAGE_ALLOWED: frozenset[tuple[str, str]] = frozenset()
#: Core modules above the stages that may call them: the use cases. `doctor` still calls the
#: centre stage itself (its connection test), not yet through kitchencam.app. `handover` chains
#: kitchencam.app's use cases and reads their result models (and errors_of) from the stages.
USE_CASES = frozenset({"kitchencam.app", "kitchencam.doctor", "kitchencam.handover"})


@dataclass
class Graph:
    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=dict)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _import_nodes(tree: ast.AST, type_checking: bool = False) -> list[ast.Import | ast.ImportFrom]:
    """Every import node, skipping the body (not the else) of `if TYPE_CHECKING:` unless asked."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        if not type_checking and isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The kitchencam module that `target` names, or its nearest enclosing module."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def imports_of(name: str, path: Path, modules: dict[str, Path], type_checking: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _import_nodes(tree, type_checking):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    resolved = _resolve(alias.name, modules)
                    if resolved:
                        out.add(resolved)
            continue
        if node.level:
            base_parts = name.split(".") if is_package else name.split(".")[:-1]
            base_parts = base_parts[: len(base_parts) - (node.level - 1)]
            base = ".".join([*base_parts, node.module] if node.module else base_parts)
        else:
            base = node.module or ""
        if base.split(".")[0] != PACKAGE:
            continue
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            resolved = candidate if candidate in modules else _resolve(base, modules)
            if resolved:
                out.add(resolved)
    out.discard(name)
    return out


def build_graph(root: Path = ROOT, type_checking: bool = False) -> Graph:
    """The graph of `root` (a kitchencam package folder); `type_checking` adds the typing-only edges."""
    modules = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph = Graph(modules=modules)
    for name, path in modules.items():
        graph.edges[name] = imports_of(name, path, modules, type_checking)
    return graph


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return sorted(components)


def cycles(graph: Graph) -> list[list[str]]:
    return [c for c in strongly_connected(graph.edges) if len(c) > 1]


def cycle_path(graph: Graph, component: list[str]) -> list[str]:
    """A shortest import loop through the component's first module, e.g. [a, b, a]."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.edges[node] & members):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"{component} is no cycle")


def describe(graph: Graph, component: list[str]) -> str:
    loop = " -> ".join(m.removeprefix(f"{PACKAGE}.") for m in cycle_path(graph, component))
    return f"{len(component)} modules {sorted(component)}; one loop: {loop}"


def is_core(name: str) -> bool:
    return not is_application(name) and name not in RENDERERS and not name.startswith(PEER_PREFIXES)


def is_application(name: str) -> bool:
    return name in APPLICATIONS or name.startswith(APPLICATION_PREFIXES)


def upward_imports(graph: Graph) -> list[str]:
    """Core modules importing an application or the renderer, or a report layout (html/pdf) from
    anywhere but the report stage."""
    found = []
    for name, targets in graph.edges.items():
        if not is_core(name):
            continue
        allowed_layouts = REPORT_LAYOUTS if name == REPORT_STAGE or name in REPORT_LAYOUTS else frozenset()
        found += [f"{name} imports {target}" for target in targets
                  if is_application(target) or target in RENDERERS or (target in REPORT_LAYOUTS - allowed_layouts)]
    return sorted(found)


def stage_of(name: str) -> str | None:
    """The stage `name` belongs to (the stage module itself or one of its parts), else None."""
    return next((s for s in STAGES if name == s or name.startswith(f"{s}.")), None)


def cross_stage_imports(graph: Graph) -> list[str]:
    """A stage importing another stage, or a core module that is no use case importing a stage."""
    found = []
    for name, targets in graph.edges.items():
        if not is_core(name) or name in USE_CASES:
            continue
        here = stage_of(name)
        for target in sorted(targets):
            there = stage_of(target)
            if there is None or there == here or (here, there) in STAGE_TO_STAGE_ALLOWED:
                continue
            found.append(f"{name} imports {target}" + (" (below the stages)" if here is None else ""))
    return sorted(found)


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


# ---------------------------------------------------------------------------------------------


RUNTIME = build_graph()
TYPED = build_graph(type_checking=True)  # RUNTIME plus the `if TYPE_CHECKING:` imports


@pytest.mark.parametrize("graph", [RUNTIME, TYPED], ids=["runtime", "with-type-checking"])
def test_no_import_cycle(graph: Graph) -> None:
    found = [describe(graph, c) for c in cycles(graph)]
    assert found == [], "import cycles among kitchencam's modules:\n" + "\n".join(found)


@pytest.mark.parametrize("graph", [RUNTIME, TYPED], ids=["runtime", "with-type-checking"])
def test_core_imports_no_application_or_renderer(graph: Graph) -> None:
    assert upward_imports(graph) == []


@pytest.mark.parametrize("graph", [RUNTIME, TYPED], ids=["runtime", "with-type-checking"])
def test_stages_import_no_other_stage(graph: Graph) -> None:
    assert cross_stage_imports(graph) == []


def test_the_stages_and_use_cases_are_real_modules() -> None:
    assert set(STAGES) | USE_CASES <= RUNTIME.modules.keys()
    assert all(is_core(s) for s in STAGES)
    assert {a for pair in STAGE_TO_STAGE_ALLOWED for a in pair} <= set(STAGES)


def test_the_rules_catch_a_stage_importing_a_stage() -> None:
    graph = Graph(modules={}, edges={
        "kitchencam.centre": {"kitchencam.check", "kitchencam.inspection", "kitchencam.store"},
        "kitchencam.report": {"kitchencam.report.build"}, "kitchencam.report.build": {"kitchencam.provision"},
        "kitchencam.inspection": {"kitchencam.check"}, "kitchencam.app": {"kitchencam.check", "kitchencam.centre"},
        "kitchencam.doctor": {"kitchencam.centre"}, "kitchencam.cli.cameras": {"kitchencam.check"},
        "kitchencam.sim.centre": {"kitchencam.centre"}, "kitchencam.provision": {"kitchencam.rules"},
    })
    assert cross_stage_imports(graph) == ["kitchencam.centre imports kitchencam.check",
                                          "kitchencam.inspection imports kitchencam.check (below the stages)",
                                          "kitchencam.report.build imports kitchencam.provision"]


def test_the_layers_name_real_modules() -> None:
    named = APPLICATIONS | RENDERERS | REPORT_LAYOUTS | {REPORT_STAGE, "kitchencam.sim"}
    assert named <= RUNTIME.modules.keys()
    assert {"kitchencam.report", "kitchencam.models", "kitchencam.errors"} <= {n for n in RUNTIME.modules if is_core(n)}


def test_the_rules_catch_an_upward_import() -> None:
    graph = Graph(modules={}, edges={
        "kitchencam.check": {"kitchencam.render"}, "kitchencam.report": {"kitchencam.report.pdf"},
        "kitchencam.report.build": {"kitchencam.report.html"}, "kitchencam.cli": {"kitchencam.report.pdf"},
        "kitchencam.sim.camera": {"kitchencam.render"}, "kitchencam.render": {"kitchencam.check"},
        "kitchencam.cli.cameras": {"kitchencam.render"}, "kitchencam.store": {"kitchencam.cli.common"},
    })
    assert upward_imports(graph) == ["kitchencam.check imports kitchencam.render",
                                     "kitchencam.report.build imports kitchencam.report.html",
                                     "kitchencam.store imports kitchencam.cli.common"]


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The scan can fail: function-level, relative and `from pkg import module` imports are edges,
    TYPE_CHECKING imports are not, and a planted loop is reported as a readable path."""
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import leaf\n")
    (pkg / "sub" / "leaf.py").write_text("def f():\n    import kitchencam.top\n")
    (pkg / "top.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from kitchencam.sub import leaf\n"
        "from .sub.leaf import f\n"
        "if TYPE_CHECKING:\n    from kitchencam import typed\nelse:\n    from kitchencam import other\n"
    )
    (pkg / "typed.py").write_text("import kitchencam.top\n")
    (pkg / "other.py").write_text("")
    graph = build_graph(pkg)
    assert graph.edges["kitchencam.top"] == {"kitchencam.sub.leaf", "kitchencam.other"}
    assert graph.edges["kitchencam.sub"] == {"kitchencam.sub.leaf"}
    assert graph.edges["kitchencam.sub.leaf"] == {"kitchencam.top"}
    assert cycles(graph) == [["kitchencam.sub.leaf", "kitchencam.top"]]
    assert describe(graph, cycles(graph)[0]).endswith("sub.leaf -> top -> sub.leaf")


def test_tarjan_finds_a_long_loop_and_leaves_a_chain_alone() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"d", "a"}, "d": {"e"}, "e": set()}
    assert strongly_connected(edges) == [["a", "b", "c"], ["d"], ["e"]]
    graph = Graph(modules={}, edges=edges)
    assert cycle_path(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    type_checking = "--type-checking" in argv
    paths = [a for a in argv if not a.startswith("--")]
    root = Path(paths[0]).resolve() if paths else ROOT
    graph = build_graph(root, type_checking)
    found = cycles(graph)
    sizes = sorted(((line_count(p), n) for n, p in graph.modules.items()), reverse=True)
    print(f"package: {root}" + (" (TYPE_CHECKING imports counted)" if type_checking else ""))
    print(f"modules: {len(graph.modules)}")
    print(f"import edges: {sum(len(t) for t in graph.edges.values())}")
    print(f"cycles (SCCs with more than one module): {len(found)}")
    for component in found:
        print(f"  {describe(graph, component)}")
    core_up = upward_imports(graph)
    print(f"core imports of applications/renderers: {len(core_up)}")
    for line in core_up:
        print(f"  {line}")
    across = cross_stage_imports(graph)
    print(f"stage imports of another stage (or from below the stages): {len(across)}")
    for line in across:
        print(f"  {line}")
    print("largest modules by lines: " + ", ".join(f"{n} {lines}" for lines, n in sizes[:3]))
    core = [(lines, n) for lines, n in sizes if is_core(n)]
    print("largest core modules by lines: " + ", ".join(f"{n} {lines}" for lines, n in core[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
