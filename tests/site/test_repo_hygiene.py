"""Repository hygiene: notebooks, the table of contents, pins and the README.

Each rule is a small function that returns a list of problems (empty = fine). The
``test_repo_*`` tests apply the rules to this repository; the ``test_rule_*`` tests feed each
rule a broken example, so that every rule is known to be able to fail.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# The first code cell of every chapter notebook (.dev/CHAPTER_BRIEF.md, "Setup"): imports, and
# where nnlib and the book's package are missing (Colab), their installation from the
# repository that _config.yml names (repository.url).
SETUP_TEMPLATE = """\
import numpy as np
import matplotlib.pyplot as plt

try:  # JupyterLab and the website have these; elsewhere (e.g. Colab) install them once
    import nnlib
    import book
except ImportError:
    REPO = "git+{url}"
    %pip install -q "nnlib @ {{REPO}}" "nnlib-book @ {{REPO}}#subdirectory=book"
    import nnlib
    import book
from nnlib import plot

plot.use_book_style()
rng = np.random.default_rng(0)"""


def repository_url(root: Path | None = None) -> str:
    config = yaml.safe_load(((root or ROOT) / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


SETUP_CELL = SETUP_TEMPLATE.format(url=repository_url())

NOTEBOOK_DIRS = ("chapters", "exercises")
PAGE_SUFFIXES = (".md", ".ipynb", ".rst")


# --- helpers -----------------------------------------------------------------------------


def project_files(root: Path, folder: str, pattern: str) -> list[Path]:
    """Files under ``root/folder`` matching ``pattern`` that are (or would be) committed.

    In a git checkout: tracked files plus untracked files that .gitignore does not exclude.
    Outside git: every matching file. ``.ipynb_checkpoints`` folders are always skipped.
    """
    base = root / folder
    if not base.is_dir():
        return []
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", folder],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout
        candidates = [root / p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        candidates = list(base.rglob("*"))
    return sorted(
        p for p in set(candidates)
        if p.is_file() and p.match(pattern) and ".ipynb_checkpoints" not in p.parts
    )


def show(path: Path) -> str:
    """The path relative to the repository if it is inside it, else the file name."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def load_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- the rules ---------------------------------------------------------------------------


def outputs_problems(path: Path) -> list[str]:
    """Outputs, execution counts or saved widget state in a notebook."""
    nb = load_notebook(path)
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{show(path)}: cell {i} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{show(path)}: cell {i} has execution_count {cell['execution_count']}")
    if "widgets" in nb.get("metadata", {}):
        problems.append(f"{show(path)}: notebook metadata holds saved widget state")
    return problems


def setup_cell_problems(path: Path) -> list[str]:
    """The first code cell must be exactly SETUP_CELL (with the repository of _config.yml)."""
    nb = load_notebook(path)
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if not code:
        return [f"{show(path)}: has no code cell (the first one must be the setup cell)"]
    first = cell_source(code[0]).strip()
    if first != SETUP_CELL:
        return [f"{show(path)}: the first code cell is not the setup cell of "
                f".dev/CHAPTER_BRIEF.md; it starts with {first.splitlines()[:1]}"]
    return []


def toc_files(toc: dict) -> list[str]:
    """Every ``file:`` entry of a jb-book _toc.yml (root included), in order."""
    found = [toc["root"]] if "root" in toc else []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


def toc_problems(root: Path) -> list[str]:
    """_toc.yml must list only existing files, and every chapter notebook in chapters/."""
    toc_path = root / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    problems = []
    if toc.get("format") != "jb-book":
        problems.append(f"_toc.yml: format is {toc.get('format')!r}, expected 'jb-book'")
    listed = set()
    for entry in toc_files(toc):
        stem = entry
        for suffix in PAGE_SUFFIXES:
            stem = stem.removesuffix(suffix)
        listed.add(stem)
        if not any((root / (stem + s)).is_file() for s in PAGE_SUFFIXES):
            problems.append(f"_toc.yml lists {entry!r}, but no such .md/.ipynb/.rst file exists")
    for nb in project_files(root, "chapters", "*.ipynb"):
        stem = nb.relative_to(root).with_suffix("").as_posix()
        if stem not in listed:
            problems.append(f"{nb.relative_to(root)} is not listed in _toc.yml")
    return problems


PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!_-]+(\s*;.+)?$")


def requirements_problems(path: Path) -> list[str]:
    """Every requirement line pins one exact version with ``==``."""
    problems = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not PIN.match(line):
            problems.append(f"{path.name}:{n}: {raw.strip()!r} is not pinned as name==version")
    return problems


def readme_problems(path: Path) -> list[str]:
    """The README names `make book` and `make test` first thing (before its first section)."""
    text = path.read_text(encoding="utf-8")
    head = re.split(r"^## ", text, maxsplit=1, flags=re.M)[0]
    return [f"{path.name}: does not name `{cmd}` before its first section"
            for cmd in ("make book", "make test") if cmd not in head]


# --- the repository ----------------------------------------------------------------------


def committed_notebooks() -> list[Path]:
    return [nb for d in NOTEBOOK_DIRS for nb in project_files(ROOT, d, "*.ipynb")]


def test_repo_notebooks_have_no_outputs():
    problems = [p for nb in committed_notebooks() for p in outputs_problems(nb)]
    assert not problems, "strip outputs (nbstripout):\n" + "\n".join(problems)


def test_repo_chapter_notebooks_start_with_the_setup_cell():
    problems = [p for nb in project_files(ROOT, "chapters", "*.ipynb")
                for p in setup_cell_problems(nb)]
    assert not problems, "\n".join(problems)


def test_repo_setup_cell_matches_the_brief():
    brief = ROOT / ".dev" / "CHAPTER_BRIEF.md"
    if not brief.is_file():
        pytest.skip(".dev/CHAPTER_BRIEF.md is not in this checkout")
    text = brief.read_text(encoding="utf-8")
    block = text.split("- First code cell, exactly", 1)[1].split("  Tag it", 1)[0]
    block = block.split("\n\n", 1)[1]
    lines = [ln[6:] if ln.startswith("      ") else ln.strip() for ln in block.splitlines()]
    assert "\n".join(lines).strip() == SETUP_CELL


def test_repo_toc_lists_existing_files_and_every_chapter():
    problems = toc_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_repo_requirements_are_pinned():
    problems = requirements_problems(ROOT / "requirements.txt")
    assert not problems, "\n".join(problems)


def test_repo_readme_names_the_two_commands_first():
    problems = readme_problems(ROOT / "README.md")
    assert not problems, "\n".join(problems)


# --- each rule can fail ------------------------------------------------------------------


def write_notebook(path: Path, cells: list[dict], metadata: dict | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = {"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def code(source: str, outputs=None, count=None) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {},
            "outputs": outputs or [], "execution_count": count}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def test_rule_outputs(tmp_path):
    clean = write_notebook(tmp_path / "clean.ipynb", [markdown("# T"), code("1 + 1")])
    assert outputs_problems(clean) == []
    out = [{"output_type": "stream", "name": "stdout", "text": "2\n"}]
    dirty = write_notebook(tmp_path / "dirty.ipynb", [code("print(2)", outputs=out)])
    assert outputs_problems(dirty) == ["dirty.ipynb: cell 0 has outputs"]
    counted = write_notebook(tmp_path / "counted.ipynb", [markdown("x"), code("1", count=3)])
    assert outputs_problems(counted) == ["counted.ipynb: cell 1 has execution_count 3"]
    widgets = write_notebook(tmp_path / "w.ipynb", [code("1")], {"widgets": {"state": {}}})
    assert outputs_problems(widgets) == ["w.ipynb: notebook metadata holds saved widget state"]


def test_rule_setup_cell(tmp_path):
    good = write_notebook(tmp_path / "good.ipynb",
                          [markdown("# 1. T"), code(SETUP_CELL + "\n"), code("x = 1")])
    assert setup_cell_problems(good) == []
    other = write_notebook(tmp_path / "other.ipynb", [code("import numpy as np")])
    assert "not the setup cell" in setup_cell_problems(other)[0]
    almost = write_notebook(tmp_path / "almost.ipynb",
                            [code(SETUP_CELL.replace("default_rng(0)", "default_rng(1)"))])
    assert setup_cell_problems(almost)
    empty = write_notebook(tmp_path / "empty.ipynb", [markdown("# only text")])
    assert "has no code cell" in setup_cell_problems(empty)[0]


def test_rule_toc(tmp_path):
    (tmp_path / "intro.md").write_text("# Intro\n")
    write_notebook(tmp_path / "chapters" / "01_a.ipynb", [code(SETUP_CELL)])
    toc = {"format": "jb-book", "root": "intro",
           "parts": [{"caption": "Part I", "chapters": [{"file": "chapters/01_a"}]}]}
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    assert toc_problems(tmp_path) == []
    # a listed file that does not exist
    toc["parts"][0]["chapters"].append({"file": "chapters/02_missing"})
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    assert toc_problems(tmp_path) == [
        "_toc.yml lists 'chapters/02_missing', but no such .md/.ipynb/.rst file exists"]
    # a chapter notebook that is not listed
    toc["parts"][0]["chapters"].pop()
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    write_notebook(tmp_path / "chapters" / "03_unlisted.ipynb", [code(SETUP_CELL)])
    assert toc_problems(tmp_path) == ["chapters/03_unlisted.ipynb is not listed in _toc.yml"]


def test_rule_requirements(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# comment\n\nnumpy==2.4.6\nfoo[bar]==1.0  # why\nbaz==1; python_version<'3.12'\n"
    )
    assert requirements_problems(req) == []
    req.write_text("numpy>=2\nscipy\n-e .\nok==1\nbad==1,<2\n")
    assert [p.split(":")[1] for p in requirements_problems(req)] == ["1", "2", "3", "5"]


def test_rule_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# X\n\n    make book\n    make test\n\n## More\n")
    assert readme_problems(readme) == []
    readme.write_text("# X\n\nIntro.\n\n## Use\n\nmake book\nmake test\n")
    assert len(readme_problems(readme)) == 2


def test_rule_project_files_skips_checkpoints(tmp_path):
    write_notebook(tmp_path / "chapters" / "a.ipynb", [])
    write_notebook(tmp_path / "chapters" / ".ipynb_checkpoints" / "a-checkpoint.ipynb", [])
    found = project_files(tmp_path, "chapters", "*.ipynb")
    assert [p.name for p in found] == ["a.ipynb"]


def test_api_reference_documents_every_public_module():
    """reference/api/ has one page per public module of nnlib, each with its automodule
    section (autodoc then lists every public name of it: autodoc_default_options has
    members: true), every page is in the table of contents, and nothing but nnlib is
    documented (the book's own experiment code is not part of the library)."""
    import pkgutil

    import nnlib

    modules = {"nnlib"} | {m.name for m in pkgutil.walk_packages(nnlib.__path__, "nnlib.")}
    public = {m for m in modules - {"nnlib"} if not any(p.startswith("_") for p in m.split("."))}
    pages = sorted((ROOT / "reference" / "api").glob("*.rst"))
    documented = {}
    for page in pages:
        found = re.findall(r"^\.\. automodule:: (\S+)\s*$", page.read_text(encoding="utf-8"),
                           flags=re.M)
        assert len(found) == 1, f"{page.name} should document exactly one module, found {found}"
        documented[found[0]] = page
    missing = sorted(public - set(documented))
    assert not missing, f"reference/api/ has no page for {missing}"
    assert set(documented) <= modules, (f"reference/api/ documents modules that are not "
                                        f"nnlib's: {set(documented) - modules}")
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for module, page in documented.items():
        assert f"file: reference/api/{page.stem}\n" in toc, f"{page} is not in _toc.yml"
        assert page.stem == module.split(".", 1)[1], f"{page.name} should be named after {module}"
    index = (ROOT / "reference" / "api.rst").read_text(encoding="utf-8")
    summary = index.split(".. autosummary::")[1].split("\n\n")[1]
    assert "automodule" not in index and "book." not in summary
