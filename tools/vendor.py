"""Fetch the JavaScript the website needs so that it works offline (``make vendor``).

The book's pages typeset mathematics with MathJax 3, which Sphinx would load from a CDN;
this script downloads an exact, pinned version with ``npm pack`` (through npm's configured
registry), checks the tarball against a pinned sha512, and extracts only the files the site
serves into ``_vendor/vendor/``. (The experiments need no widget library: they are
flipbooks, ``book/static/live.js``, a few kilobytes of the book's own.) ``_config.yml``
copies ``_vendor/`` into the built site (``html_extra_path``), so the pages load
``<site>/vendor/...``.

Why not ``_static/``: Jupyter Book 1 adds every ``.js`` and ``.css`` file found under the
static paths to *every* page, which would load all of MathJax's components everywhere.

Run: ``python tools/vendor.py`` (the Makefile does this).  Nothing here is committed:
``_vendor/`` is in ``.gitignore``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "_vendor" / "vendor"
STAMP = ROOT / "_vendor" / ".stamp"

# name, exact version, sha512 integrity of the npm tarball (as `npm pack --json` prints it),
# and the files to keep (paths inside the tarball's `package/` folder; a trailing "/" keeps
# the whole folder), mapped to their place under _vendor/vendor/<folder>/.
PACKAGES = [
    {
        "name": "mathjax",
        "version": "3.2.2",  # MathJax 3: MathJax 4 loads its fonts from a CDN.
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/"
        "FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "folder": "mathjax",
        "keep": [
            "LICENSE",
            "es5/tex-mml-chtml.js",  # the combined component Sphinx loads (mathjax_path)
            "es5/output/chtml/fonts/woff-v2/",  # its web fonts
            "es5/input/tex/extensions/",  # TeX packages loaded on demand (\boldsymbol, ...)
            "es5/ui/",  # the right-click menu
            "es5/a11y/",  # accessibility components the menu can switch on
            "es5/sre/",  # the speech rule engine those components load
        ],
    },
]

def fail(sentence: str) -> None:
    """Print one clear sentence to stderr and exit with status 1."""
    print(f"make vendor: {sentence}", file=sys.stderr)
    sys.exit(1)


def stamp_text() -> str:
    """The content of the stamp file: what was vendored, so any change here re-vendors."""
    return json.dumps(
        [(p["name"], p["version"], p["integrity"], p["keep"]) for p in PACKAGES], indent=1
    )


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download the tarball of ``spec`` (``name@version``) into ``workdir`` and return it."""
    npm = shutil.which("npm")
    if npm is None:
        fail("npm was not found on PATH; install Node.js and npm (for example "
             "`apt-get install -y npm`) so the offline MathJax and widget files can be fetched.")
    result = subprocess.run(
        [npm, "pack", "--json", "--silent", spec],
        cwd=workdir, capture_output=True, text=True,
    )
    if result.returncode != 0:
        fail(f"`npm pack {spec}` failed ({result.stderr.strip().splitlines()[-1:]}); "
             "check the network connection to the npm registry.")
    info = json.loads(result.stdout)[0]
    return workdir / info["filename"]


def check_integrity(tarball: Path, expected: str) -> None:
    """Compare the tarball's sha512 with the pinned value; stop on a mismatch."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    actual = "sha512-" + base64.b64encode(digest).decode()
    if actual != expected:
        fail(f"{tarball.name} has integrity {actual}, but tools/vendor.py pins {expected}.")


def extract(tarball: Path, keep: list[str], dest: Path) -> int:
    """Extract the members of ``tarball`` selected by ``keep`` into ``dest``; return a count."""
    count = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            rel = member.name.removeprefix("package/")
            wanted = any(
                rel.startswith(k) if k.endswith("/")
                else Path(rel).match(k) and Path(rel).parent == Path(k).parent
                for k in keep
            )
            if not wanted:
                continue
            target = dest / rel
            if not target.resolve().is_relative_to(dest.resolve()):
                fail(f"{tarball.name} contains a path outside its folder: {member.name}.")
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            count += 1
    for k in keep:
        if not k.endswith("/") and "*" not in k and not (dest / k).is_file():
            fail(f"{tarball.name} has no file {k}; update the list in tools/vendor.py.")
    return count


def main() -> None:
    if STAMP.is_file() and STAMP.read_text() == stamp_text() and DEST.is_dir():
        STAMP.touch()  # newer than tools/vendor.py, so make does not ask again
        print(f"Offline assets are up to date in {DEST}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        staging = tmp / "vendor"
        for pkg in PACKAGES:
            tarball = npm_pack(f"{pkg['name']}@{pkg['version']}", tmp)
            check_integrity(tarball, pkg["integrity"])
            n = extract(tarball, pkg["keep"], staging / pkg["folder"])
            print(f"  {pkg['name']}@{pkg['version']}: {n} files")
        if DEST.exists():
            shutil.rmtree(DEST)
        DEST.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), DEST)
    STAMP.write_text(stamp_text())
    print(f"Offline assets written to {DEST}")


if __name__ == "__main__":
    main()
