"""Words in a chapter's core path and in its "Going deeper" parts.

    .venv/bin/python tools/wordcount.py chapters/04_forward.ipynb [...]

The core path is the prose a reader follows without opening anything: every markdown cell,
minus display maths, code, HTML comments, and the insides of dropdowns (``{dropdown}``
directives and admonitions with ``:class: dropdown``), solutions and exercises. Those insides
are counted as "deeper". The chapter shape asks for a core path of 2,000 to 3,000 words.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

FENCE = re.compile(r"^(`{3,}|:{3,})\{(?P<name>[a-z:-]+)\}(?P<arg>.*)$")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*")


def count(text: str) -> int:
    text = re.sub(r"\{[a-z:]+\}`[^`]*`", "x", text)       # a role counts as one word
    text = re.sub(r"`[^`]*`", "x", text)                  # inline code: one word
    text = re.sub(r"\$[^$]+\$", "x", text)                # inline maths: one word
    text = re.sub(r"\]\([^)]*\)", "]", text)              # link targets
    return len(WORD.findall(text))


def split(markdown: str) -> tuple[int, int]:
    """(core words, deeper words) of one markdown cell."""
    core = deeper = 0
    stack: list[tuple[str, bool]] = []      # (closing fence, counts as deeper)
    in_math = False
    for line in markdown.splitlines():
        s = line.strip()
        if s.startswith("$$"):          # display maths: "$$", "$$ (label)", or "$$ x $$"
            if in_math:
                in_math = False
            elif s.count("$$") < 2:
                in_math = True
            continue
        if in_math:
            continue
        m = FENCE.match(s)
        if m:
            fence = m.group(1)
            name = m.group("name")
            deep = name in ("dropdown", "solution", "exercise") or \
                (bool(stack) and stack[-1][1])
            stack.append((fence, deep))
            continue
        if stack and s == stack[-1][0]:
            stack.pop()
            continue
        if stack and s.startswith(":class:") and "dropdown" in s:
            stack[-1] = (stack[-1][0], True)
            continue
        if s.startswith(":") and stack:       # directive options
            continue
        if s.startswith("(") and s.endswith(")=") or s.startswith("<!--"):
            continue
        n = count(line)
        if stack and stack[-1][1]:
            deeper += n
        else:
            core += n
    return core, deeper


def chapter(path: Path) -> tuple[int, int]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    core = deeper = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            c, d = split("".join(cell["source"]))
            core, deeper = core + c, deeper + d
    return core, deeper


def main(argv: list[str]) -> int:
    for arg in argv or sorted(str(p) for p in Path("chapters").glob("*.ipynb")):
        core, deeper = chapter(Path(arg))
        print(f"{Path(arg).name:40s} core {core:5d}   going deeper {deeper:5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
