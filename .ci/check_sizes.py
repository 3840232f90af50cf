#!/usr/bin/env python3
"""Fails when a function in src/ is longer than 120 lines or a file longer than 700 lines
(issue 8). Test code is aside: files named tests.rs or under a testdata/ directory, and
everything after a `mod tests {` line. Usage: check_sizes.py [SRC_DIR]"""
import os
import re
import sys

MAX_FN, MAX_FILE = 120, 700
root = sys.argv[1] if len(sys.argv) > 1 else "src"
problems = []
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".rs") or name == "tests.rs" or "testdata" in dirpath:
            continue
        path = os.path.join(dirpath, name)
        lines = open(path, encoding="utf-8").read().split("\n")
        code = len(lines)
        for i, line in enumerate(lines):
            if re.match(r"\s*mod tests\s*\{", line):
                code = i
                break
        if code > MAX_FILE:
            problems.append(f"{path}: {code} lines of code (max {MAX_FILE})")
        for i, line in enumerate(lines[:code]):
            m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?fn\s+(\w+)", line)
            if not m:
                continue
            depth, started = 0, False
            for j in range(i, code):
                text = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j])
                text = re.sub(r"//.*", "", text)
                if not started and ";" in text and "{" not in text:
                    break
                depth += text.count("{") - text.count("}")
                started = started or "{" in text
                if started and depth <= 0:
                    if j - i + 1 > MAX_FN:
                        problems.append(f"{path}:{i + 1}: fn {m.group(5)} is {j - i + 1} lines (max {MAX_FN})")
                    break
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"sizes: no function over {MAX_FN} lines, no file over {MAX_FILE} lines of code in {root}/")
