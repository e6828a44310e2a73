"""Print aidermem's internal import graph: modules, arrows between them, cycles.

    python tools/import_graph.py            # summary: modules, arrows, cycles
    python tools/import_graph.py --edges    # every arrow, one per line
    python tools/import_graph.py --json     # the same as data
    python tools/import_graph.py --check    # exit 1 on any cycle (CI)

An arrow A -> B is any import of aidermem module B written anywhere in A (module
level, inside a function, or under TYPE_CHECKING: all of them couple A to B).
A cycle is a strongly connected set of two or more modules. The graph is read
from the source with `ast`; nothing is imported, so it works on a broken tree.
It exists to measure the package's structure before and after a change.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

PACKAGE = "aidermem"


def module_name(path: Path, root: Path) -> str:
    """`aidermem/commands/add.py` -> `aidermem.commands.add` (packages drop `__init__`)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, this: str, is_package: bool, known: set[str]) -> set[str]:
    """The aidermem modules `this` imports, resolved against the modules that exist."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = this.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from aidermem import kinds` imports the module kinds; `from aidermem.kinds
            # import Kind` imports the module aidermem.kinds.
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != this:
                found.add(name)
    return found


def build_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the set of aidermem modules it imports."""
    files = sorted((root / PACKAGE).rglob("*.py"))
    known = {module_name(f, root) for f in files}
    graph: dict[str, set[str]] = {}
    for f in files:
        this = module_name(f, root)
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        graph[this] = imported_modules(tree, this, f.name == "__init__.py", known)
    # A package's own __init__ is imported by every module inside it; that arrow says
    # nothing about structure, so it is not counted.
    for this, targets in graph.items():
        graph[this] = {t for t in targets if not this.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--edges", action="store_true", help="list every arrow")
    parser.add_argument("--json", action="store_true", help="print the graph as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if there is a cycle")
    args = parser.parse_args(argv)
    graph = build_graph(args.root)
    found = cycles(graph)
    arrows = sum(len(t) for t in graph.values())
    if args.json:
        print(json.dumps({"modules": len(graph), "arrows": arrows, "cycles": found,
                          "graph": {k: sorted(v) for k, v in sorted(graph.items())}}, indent=2))
        return 0
    if args.edges:
        for source in sorted(graph):
            for target in sorted(graph[source]):
                print(f"{source} -> {target}")
    print(f"modules: {len(graph)}  arrows: {arrows}  cycles: {len(found)}")
    for component in found:
        print("  cycle: " + " <-> ".join(component))
    return 1 if args.check and found else 0


if __name__ == "__main__":
    sys.exit(main())
