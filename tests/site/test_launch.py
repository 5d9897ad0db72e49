"""The launch buttons' environments: Binder's configuration and the chapters' Colab install.

What can be checked offline is checked here: Binder's files are valid and agree with
requirements.txt, and the chapters' setup cell installs nothing where nnlib and the book's
package are present (it is run in a real IPython shell, with pip replaced by a recorder).
Whether Binder and Colab build and run the notebooks needs their services and the network,
which this machine does not have; the README says so.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def pins(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {name.lower(): version for name, version in
            re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)\s*$", text, re.M)}


def test_binder_requirements_are_pinned_like_requirements_txt():
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines and all("==" in ln for ln in lines), "every Binder requirement is pinned"
    ours, main = pins(BINDER / "requirements.txt"), pins(ROOT / "requirements.txt")
    differ = {n: (v, main.get(n)) for n, v in ours.items() if main.get(n) != v}
    assert not differ, f"binder/requirements.txt disagrees with requirements.txt: {differ}"
    for needed in ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "jupyterlab-myst",
                   "otter-grader"):
        assert needed in ours, f"Binder needs {needed}"
    # what nnlib itself declares it needs, so that postBuild's --no-deps is safe
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.findall(r'"([a-z0-9-]+)>=', project.split("dependencies", 1)[1].split("]")[0])
    missing = [d for d in declared if d not in ours]
    assert not missing, f"nnlib's dependencies missing from binder/requirements.txt: {missing}"


def test_binder_post_build_installs_nnlib_and_the_book():
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash") and "set -euo pipefail" in text
    assert re.search(r"pip install --no-deps -e \. -e \./book", text)
    assert subprocess.run(["bash", "-n", str(post)]).returncode == 0
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_launch_buttons_are_configured():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    buttons = config["launch_buttons"]
    assert buttons["binderhub_url"].startswith("https://")
    assert buttons["colab_url"].startswith("https://")
    assert config["repository"]["url"].startswith("https://github.com/")


def _setup_cell(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    return "".join(first["source"])


SHELL_CHECK = r"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
calls = []
shell.register_magic_function(lambda line: calls.append(line), "line", "pip")
result = shell.run_cell(sys.stdin.read())
print(json.dumps({"ok": result.success, "pip": calls,
                  "error": repr(result.error_in_exec or result.error_before_exec)}))
"""


def run_setup_cell(source: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", SHELL_CHECK], input=source, text=True,
                         capture_output=True, timeout=300, cwd=ROOT / "chapters",
                         env={**os.environ, "MPLBACKEND": "Agg", **(env or {})})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_setup_cell_installs_nothing_where_the_packages_are_present():
    """Run every chapter's setup cell in IPython: it succeeds and never calls %pip here."""
    cells = {_setup_cell(nb) for nb in sorted((ROOT / "chapters").glob("*.ipynb"))}
    for source in cells:
        result = run_setup_cell(source)
        assert result["ok"], result["error"]
        assert result["pip"] == [], "the setup cell tried to install packages that are present"


def test_setup_cell_installs_from_the_repository_where_nnlib_is_missing(tmp_path):
    """With nnlib hidden (as on Colab), the cell calls %pip with this repository's URL, for
    nnlib and for the book's package (the installation itself needs the network, which is
    absent: the cell then fails at the second import, as it should)."""
    blocker = tmp_path / "nnlib"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('nnlib is not installed here')\n")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"]
    source = _setup_cell(sorted((ROOT / "chapters").glob("*.ipynb"))[0])
    result = run_setup_cell(source, env={"PYTHONPATH": str(tmp_path)})
    assert len(result["pip"]) == 1
    line = result["pip"][0]
    assert "install" in line and f"nnlib @ git+{url}" in line
    assert f"nnlib-book @ git+{url}#subdirectory=book" in line
    assert f'REPO = "git+{url}"' in source
    assert not result["ok"]
