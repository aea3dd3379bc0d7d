#!/usr/bin/env python3
"""Lists src/'s largest files and its functions over a length (tests excluded).

Run from the repository root: `python3 scripts/code_sizes.py [--over 40] [--top 10]`.
"""

import argparse
import os
import re

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?fn\s+([a-z_][a-z0-9_]*)")


def code_of(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.split(r"\n#\[cfg\(test\)\]", text)[0].split("\n")


def functions(path, lines):
    """(length, name) of each function: from its `fn` line to the line closing its body."""
    found = []
    for start, line in enumerate(lines):
        match = FN.match(line)
        if not match:
            continue
        depth, opened = 0, False
        for end in range(start, len(lines)):
            code = re.sub(r'"(\\.|[^"\\])*"', '""', re.sub(r"//.*", "", lines[end]))
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth <= 0:
                found.append((end - start + 1, f"{path}:{start + 1} {match.group(5)}"))
                break
            if not opened and code.rstrip().endswith(";"):
                break
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--over", type=int, default=40)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    files, fns = [], []
    for folder, _, names in os.walk("src"):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(folder, name)
                lines = code_of(path)
                files.append((len(lines), path))
                fns += functions(path, lines)
    print(f"largest files (lines before tests), top {args.top}:")
    for n, path in sorted(files, reverse=True)[: args.top]:
        print(f"  {n:5} {path}")
    long = sorted((f for f in fns if f[0] > args.over), reverse=True)
    print(f"functions over {args.over} lines: {len(long)} of {len(fns)}")
    for n, where in long:
        print(f"  {n:5} {where}")


if __name__ == "__main__":
    main()
