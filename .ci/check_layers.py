#!/usr/bin/env python3
"""The crate's layering, checked: no module imports a module of a higher layer, and no two
sibling modules import each other (directly or through others).

The layers are read from the block between `<!-- layers -->` markers in `src/lib.rs`'s docs,
one layer per line, bottom first: `N  name name …  — comment`. Every top-level module of the
library (a file or directory under `src/`, except `bin/`) must appear in exactly one layer.

Edges are the crate paths a file names: `use crate::a::b`, `crate::a::b::x` in code, `super::x`
and `self::x` resolved against the file's module, and grouped `use crate::{a, b::c}`. Comments
and doc comments are ignored (a doc link is not an import), and so is test code (`tests.rs`
files and `#[cfg(test)]` items: a test may use anything). Two checks:

* **upward**: a file in top-level module A names top-level module B of a higher layer;
* **I/O**: only the modules named on the block's `io:` line (the journal and the store) touch the
  outside world — files, the network, processes, the environment, the clock; anything else naming
  `std::fs`, `File::`, `OpenOptions`, `std::net`, `std::process`, `std::env`, `Utc::now`,
  `SystemTime` or `Instant::now` outside test code is reported;
* **cycle**: among the children of one module (the top-level modules are the children of the
  crate), the graph "child X's files name child Y" has a cycle. A child naming its parent's own
  items (`super::Thing` defined in the parent file) is not an edge between siblings.

`--self-test` copies `src/` to a temporary directory, plants an upward import and a cycle, and
checks that each is reported (CI runs it, so the check cannot silently pass everything).
Exit 0 when clean, 1 with one line per violation otherwise.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = "<!-- layers -->"


def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def strip_comments(text):
    """Blank comments and the contents of string and char literals (a doc link or a message is not
    an import), keeping the paths named in serde/schemars `with = "…"` attributes, which are."""
    text = re.sub(r'\b((?:schema_|de|ser)?(?:ialize_)?with)\s*=\s*"((?:crate|super|self)::[\w:]+)"',
                  lambda m: f"{m.group(1)} = {m.group(2)}", text)
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            out.append('""')
            i = n if end < 0 else end + 1 + len(hashes)
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append('""')
            i += 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'", text[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'", text[i:i + 12])
            out.append("' '")
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_test_code(text):
    """Drop `#[cfg(test)]` items (a `mod tests { … }` block or a `use`): tests may use anything."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        j = m.end()
        brace = text.find("{", j)
        semi = text.find(";", j)
        if semi != -1 and (brace == -1 or semi < brace):
            i = semi + 1
            continue
        depth, k = 1, brace + 1
        while k < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        i = k
    out.append(text[i:])
    return "".join(out)


def expand_use_groups(text):
    """`use crate::{a::b, c}` → paths `crate::a::b`, `crate::c` (one level of nesting is enough
    for the crate's style; deeper groups are expanded recursively)."""
    paths = []
    for m in re.finditer(r"\buse\s+((?:crate|super|self)(?:::\w+)*)::\{", text):
        base = m.group(1)
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        inner = text[m.end():j - 1]
        parts, depth, cur = [], 0, ""
        for ch in inner:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += {"{": 1, "}": -1}.get(ch, 0)
            cur += ch
        parts.append(cur)
        for part in parts:
            part = part.strip()
            if not part:
                continue
            if "{" in part:
                head = part[: part.index("{")].rstrip(":")
                paths.extend(expand_use_groups(f"use {base}::{head}::{{{part[part.index('{') + 1:]}"))
            else:
                paths.append(f"{base}::{part.split(' as ')[0].strip()}")
    return paths


def resolve(module, path, modules):
    """Resolve a `crate::`/`super::`/`self::` path from `module` to the longest module prefix
    that exists."""
    segs = path.split("::")
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    else:
        base, rest = module, segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    full = tuple(base) + tuple(s for s in rest if s not in ("*",))
    while full and full not in modules:
        full = full[:-1]
    return full


def edges(src):
    files = []
    for root, dirs, names in os.walk(src):
        rel = os.path.relpath(root, src)
        if rel.split(os.sep)[0] == "bin":
            continue
        for n in names:
            if n.endswith(".rs") and n != "tests.rs" and "tests" not in rel.split(os.sep):
                files.append(os.path.join(root, n))
    modules = {module_of(src, f) for f in files}
    # Inline `mod tests { … }` blocks and similar are part of their file's module.
    result = []
    for f in files:
        module = module_of(src, f)
        text = strip_test_code(strip_comments(open(f, encoding="utf-8").read()))
        paths = expand_use_groups(text)
        paths += re.findall(r"\b((?:crate|super|self)(?:::\w+)+)", text)
        for p in paths:
            target = resolve(module, p, modules)
            if target and target != module:
                result.append((f, module, target))
    return modules, result


IO = re.compile(r"\b(std::fs|fs::\w|File::|OpenOptions|std::net|std::process|std::env|Utc::now|SystemTime|Instant::now)")


def io_modules(src):
    text = open(os.path.join(src, "lib.rs"), encoding="utf-8").read().split(MARK)[1]
    m = re.search(r"io:\s*([\w ,]+)", text)
    return set(m.group(1).replace(",", " ").split()) if m else set()


def io_uses(src):
    allowed = io_modules(src)
    found = []
    for root, _, names in os.walk(src):
        rel = os.path.relpath(root, src)
        top = rel.split(os.sep)[0]
        if top == "bin" or "tests" in rel.split(os.sep):
            continue
        for n in sorted(names):
            if not n.endswith(".rs") or n == "tests.rs":
                continue
            module = top if top != "." else n[:-3]
            if module in allowed or module == "lib":
                continue
            path = os.path.join(root, n)
            text = strip_test_code(strip_comments(open(path, encoding="utf-8").read()))
            m = IO.search(text)
            if m:
                found.append(f"I/O outside journal and store: {os.path.relpath(path, os.path.dirname(src))} names `{m.group(1)}`")
    return found


def layers_from(src):
    text = open(os.path.join(src, "lib.rs"), encoding="utf-8").read()
    parts = text.split(MARK)
    if len(parts) != 3:
        sys.exit(f"check_layers: src/lib.rs must hold one block between two `{MARK}` lines")
    rank = {}
    for line in parts[1].splitlines():
        line = line.lstrip("/! ").split("—")[0].strip()
        m = re.match(r"^(\d+)\s+(.*)$", line)
        if not m:
            continue
        for name in m.group(2).replace(",", " ").split():
            name = name.strip("`")
            if name in rank:
                sys.exit(f"check_layers: `{name}` is listed in two layers")
            rank[name] = int(m.group(1))
    return rank


def find_cycle(nodes, graph):
    colour = {n: 0 for n in nodes}
    stack = []

    def visit(n):
        colour[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if colour[m] == 1:
                return stack[stack.index(m):] + [m]
            if colour[m] == 0:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        colour[n] = 2
        return None

    for n in sorted(nodes):
        if colour[n] == 0:
            found = visit(n)
            if found:
                return found
    return None


def check(src):
    rank = layers_from(src)
    modules, es = edges(src)
    problems = []
    tops = {m[0] for m in modules if m}
    for t in sorted(tops - set(rank)):
        problems.append(f"module `{t}` is in no layer of src/lib.rs's layering block")
    for t in sorted(set(rank) - tops):
        problems.append(f"layer names `{t}`, which is not a module of the library")
    seen = set()
    sibling_graphs = {}
    for f, a, b in es:
        if a and b and a[0] != b[0] and a[0] in rank and b[0] in rank and rank[b[0]] > rank[a[0]]:
            key = (f, b[0])
            if key not in seen:
                seen.add(key)
                problems.append(
                    f"upward import: {os.path.relpath(f, os.path.dirname(src))} (`{a[0]}`, layer "
                    f"{rank[a[0]]}) uses `{b[0]}` (layer {rank[b[0]]})"
                )
        # The sibling edge under the deepest common parent.
        i = 0
        while i < min(len(a), len(b)) and a[i] == b[i]:
            i += 1
        if i < len(a) and i < len(b):
            parent = a[:i]
            sibling_graphs.setdefault(parent, {}).setdefault(a[i], set()).add(b[i])
    problems += io_uses(src)
    for parent, graph in sorted(sibling_graphs.items()):
        nodes = set(graph) | {m for ms in graph.values() for m in ms}
        cycle = find_cycle(nodes, graph)
        if cycle:
            where = "::".join(parent) or "crate"
            problems.append(f"import cycle under `{where}`: {' -> '.join(cycle)}")
    return problems


def self_test(src):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "src")
        shutil.copytree(src, copy)
        if check(copy):
            sys.exit("check_layers --self-test: the tree is not clean to begin with")
        rank = layers_from(copy)
        low = min(rank, key=lambda n: (rank[n], n))
        high = max(rank, key=lambda n: (rank[n], n))
        target = os.path.join(copy, f"{low}.rs")
        if not os.path.exists(target):
            target = os.path.join(copy, low, "mod.rs")
        with open(target, "a", encoding="utf-8") as f:
            f.write(f"\n#[allow(unused_imports)]\nuse crate::{high} as _planted;\n")
        found = check(copy)
        if not any(p.startswith("upward import") and f"uses `{high}`" in p for p in found):
            sys.exit(f"check_layers --self-test: a planted `use crate::{high}` in `{low}` was not reported")
        print(f"self-test: planted upward import reported: {found[0]}")
        shutil.rmtree(copy)
        shutil.copytree(src, copy)
        same = sorted(n for n in rank if rank[n] == rank[high])
        a, b = (same[0], same[1]) if len(same) > 1 else (low, low)
        for x, y in ((a, b), (b, a)):
            p = os.path.join(copy, f"{x}.rs")
            if not os.path.exists(p):
                p = os.path.join(copy, x, "mod.rs")
            with open(p, "a", encoding="utf-8") as f:
                f.write(f"\n#[allow(unused_imports)]\nuse crate::{y} as _planted;\n")
        found = check(copy)
        if a != b and not any(p.startswith("import cycle") for p in found):
            sys.exit(f"check_layers --self-test: a planted cycle {a} <-> {b} was not reported")
        print(f"self-test: planted cycle reported: {[p for p in found if 'cycle' in p][0]}")
        shutil.rmtree(copy)
        shutil.copytree(src, copy)
        victim = os.path.join(copy, f"{low}.rs")
        if not os.path.exists(victim):
            victim = os.path.join(copy, low, "mod.rs")
        with open(victim, "a", encoding="utf-8") as f:
            f.write("\n/// Planted.\npub fn planted() -> bool {\n    std::fs::metadata(\"x\").is_ok()\n}\n")
        found = check(copy)
        if not any(p.startswith("I/O outside") for p in found):
            sys.exit(f"check_layers --self-test: planted file I/O in `{low}` was not reported")
        print(f"self-test: planted I/O reported: {[p for p in found if p.startswith('I/O')][0]}")


def main():
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    if "--self-test" in sys.argv:
        self_test(os.path.normpath(src))
        return
    if "--graph" in sys.argv:
        _, es = edges(src)
        for e in sorted({(a[0], b[0]) for _, a, b in es if a and b and a[0] != b[0]}):
            print(*e)
        return
    problems = check(os.path.normpath(src))
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("layers: no upward import, no cycle")


if __name__ == "__main__":
    main()
