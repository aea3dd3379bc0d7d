#!/usr/bin/env python3
"""Prints which of src/'s top-level modules each one uses, and fails on an import circle.

A module "uses" another when its code (tests excluded) names `crate::<other>`. Run it from
the repository root: `python3 scripts/module_graph.py` (add `--dot` for Graphviz).
"""

import os
import re
import sys

SRC = "src"
ROOTS = {"lib", "main"}


def top_module(path):
    first = os.path.relpath(path, SRC).split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def edges():
    graph = {}
    for folder, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            module = top_module(path)
            if module in ROOTS:
                continue
            with open(path, encoding="utf-8") as f:
                code = re.split(r"#\[cfg\(test\)\]", f.read())[0]
            code = re.sub(r"//.*", "", code)
            used = set(re.findall(r"crate::([a-z_][a-z0-9_]*)", code))
            # `use crate::{a, b::c}` names several modules at once.
            for group in re.findall(r"crate::\{([^}]*)\}", code):
                used |= set(re.findall(r"(?:^|[,{\s])([a-z_][a-z0-9_]*)", group))
            graph.setdefault(module, set()).update(used - {module})
    return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    graph = edges()
    if "--dot" in sys.argv:
        print("digraph imgate {")
        for module in sorted(graph):
            for used in sorted(graph[module] & graph.keys()):
                print(f"  {module} -> {used};")
        print("}")
    else:
        for module in sorted(graph):
            print(f"{module:10} -> {', '.join(sorted(graph[module] & graph.keys())) or '-'}")
    circles = cycles(graph)
    for circle in circles:
        print(f"import circle: {' <-> '.join(circle)}", file=sys.stderr)
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
