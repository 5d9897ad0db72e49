"""The chapters' markup renders both on the website and in JupyterLab (jupyterlab-myst).

JupyterLab shows Sphinx-only roles (glue, cite, numref, doc, py) as raw text or as unresolved
references, so the chapters use the forms of .dev/CHAPTER_BRIEF.md instead, which
tools/book_build.py turns into numbered figures and bibliography citations for the website.
This file checks every chapter notebook statically: no forbidden markup, every figure
reference names a figure of the same chapter, every citation link a BibTeX entry with the
right authors and year, every chapter link the right chapter number. tests/site/
test_jupyterlab.py runs a chapter in a real JupyterLab and reads what it shows.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import book_build  # noqa: E402  (tools/book_build.py: the rewrites)

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))

FORBIDDEN = {
    r"\{glue(:[a-z]+)?\}`": "glue (use {eval}`...`)",
    r"\{cite(:[a-z]+)?\}`": "a cite role (use [Author (Year)](#cite-key))",
    r"\{numref\}`": "numref (use [Figure](#label))",
    r"\{doc\}`": "doc (use a link to the file)",
    r"\{ref\}`": "ref (use a link, or {prf:ref} for a theorem)",
    r"\{py:[a-z]+\}`": "a py role (link the API reference page)",
    r"\{term\}`": "term",
}
CHAPTER_LINK = re.compile(r"\[Chapter (\d+)\]\(([^)#]+\.ipynb)(#[^)]*)?\)")
BARE_CHAPTER = re.compile(r"(?<!\[)Chapter (\d+)\b")


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "markdown"]


def bib_entries() -> dict[str, dict]:
    from pybtex.database import parse_file

    db = parse_file(str(ROOT / "references.bib"))
    out = {}
    for key, entry in db.entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        out[key] = {"surnames": [" ".join(p.last_names) for p in people],
                    "year": entry.fields.get("year", "")}
    return out


def expected_author_text(entry: dict) -> str:
    """How the author-year style names the authors: one, two ("A and B"), or "A et al."."""
    names = [re.sub(r"[{}\\]", "", s) for s in entry["surnames"]]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def chapter_number(path: Path) -> int | None:
    for _, text in markdown_cells(path):
        m = re.search(r"^# (\d+)\. ", text, re.M)
        if m:
            return int(m.group(1))
    return None


def problems_of(path: Path, bib: dict) -> list[str]:
    problems = []
    nb = json.loads(path.read_text(encoding="utf-8"))
    labels = set()
    for i, cell in enumerate(nb["cells"]):
        text = "".join(cell["source"])
        if cell["cell_type"] == "code":
            if re.search(r"\bglue\(", text):
                problems.append(f"cell {i}: calls glue() (show numbers with {{eval}})")
            if "figure" in cell.get("metadata", {}).get("mystnb", {}):
                problems.append(f"cell {i}: a figure in mystnb metadata (use a caption cell)")
            continue
        m = book_build._TARGET_LINE.match(text)
        if m and text[m.end():].lstrip().startswith(book_build._CAPTION_START):
            labels.add(m.group("label"))
            prev = nb["cells"][i - 1] if i else None
            if not prev or prev["cell_type"] != "code":
                problems.append(f"cell {i}: the caption of {m.group('label')} does not follow "
                                f"a code cell")
    for i, text in markdown_cells(path):
        for pattern, what in FORBIDDEN.items():
            for m in re.finditer(pattern, text):
                problems.append(f"cell {i}: {what}: {text[m.start():m.start() + 40]!r}")
        for m in book_build._FIGURE_LINK.finditer(text):
            if m.group("label") not in labels:
                problems.append(f"cell {i}: [Figure](#{m.group('label')}) names no figure of "
                                f"this chapter")
        for m in book_build._CITE_LINK.finditer(text):
            key, shown = m.group("key"), m.group("text").strip()
            if key not in bib:
                problems.append(f"cell {i}: citation key {key!r} is not in references.bib")
                continue
            authors, year = expected_author_text(bib[key]), bib[key]["year"]
            ok = shown in (f"{authors} ({year})", f"{authors}, {year}")
            if not ok:
                problems.append(f"cell {i}: citation of {key} reads {shown!r}; the entry is "
                                f"{authors!r}, {year}: write '{authors} ({year})' or "
                                f"'{authors}, {year}'")
        for m in CHAPTER_LINK.finditer(text):
            number, target = int(m.group(1)), (path.parent / m.group(2))
            if not target.is_file():
                problems.append(f"cell {i}: [Chapter {number}]({m.group(2)}): no such file")
            elif chapter_number(target) != number:
                problems.append(f"cell {i}: [Chapter {number}]({m.group(2)}) is Chapter "
                                f"{chapter_number(target)}")
        linked = {m.start() + 1 for m in CHAPTER_LINK.finditer(text)}
        prose = re.sub(r"`[^`]*`", "", text)
        for m in BARE_CHAPTER.finditer(prose):
            if m.start() not in linked and m.start() - 1 not in linked:
                target = [p for p in CHAPTERS if p.name.startswith(f"{int(m.group(1)):02d}_")]
                if target:
                    problems.append(f"cell {i}: 'Chapter {m.group(1)}' without a link to "
                                    f"{target[0].name}")
    return problems


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_markup_renders_in_jupyterlab_and_the_book(path):
    problems = problems_of(path, bib_entries())
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_the_checks_can_fail(tmp_path):
    """A notebook with every kind of mistake: each is reported."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 1. Test\n\nSee {numref}`x` "
         "and {cite:p}`rosenblatt1958`, [Figure](#test-fig-nope), "
         "[Rosenblat (1958)](#cite-rosenblatt1958), [Goodfellow (2016)](#cite-nosuchkey), "
         "[Chapter 3](01_test.ipynb), [Chapter 1](99_missing.ipynb) and Chapter 1."},
        {"cell_type": "code", "metadata": {"mystnb": {"figure": {"name": "a"}}},
         "source": "glue('x', 1)", "outputs": [], "execution_count": None},
        {"cell_type": "markdown", "metadata": {}, "source": "(test-fig-a)=\n**Figure.** A."},
    ]
    path = tmp_path / "01_test.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    found = "\n".join(problems_of(path, bib_entries()))
    for expected in ("numref", "a cite role", "names no figure", "reads 'Rosenblat (1958)'",
                     "'nosuchkey' is not in references.bib", "is Chapter 1", "no such file",
                     "calls glue()", "mystnb metadata", "'Chapter 1' without a link"):
        assert expected in found, f"not reported: {expected}\n{found}"


def test_rewrites_give_the_sphinx_roles():
    text = ("As [Rosenblatt (1958)](#cite-rosenblatt1958) showed "
            "([Glorot and Bengio, 2010](#cite-glorot2010)), see [Figure](#ch-fig).")
    assert book_build.rewrite_markdown(text) == (
        "As {cite:t}`rosenblatt1958` showed ({cite:alp}`glorot2010`), see {numref}`ch-fig`.")
    nb = {"cells": [{"cell_type": "code", "source": "plot()", "metadata": {}},
                    {"cell_type": "markdown",
                     "source": "(ch-fig)=\n**Figure.** **It rises.** See [X (2001)](#cite-x)."}]}
    out = book_build.rewrite_notebook(nb)
    assert len(out["cells"]) == 1
    assert out["cells"][0]["metadata"]["mystnb"]["figure"] == {
        "name": "ch-fig", "caption": "**It rises.** See {cite:t}`x`."}
    with pytest.raises(book_build.MarkupError, match="must directly follow the code cell"):
        book_build.rewrite_notebook({"cells": [{"cell_type": "markdown",
                                                "source": "(f)=\n**Figure.** x"}]})
