"""Open the chapters in a real JupyterLab, in headless Chromium: what a reader of the notebooks
sees.

Used by ``tests/site/test_jupyterlab.py`` (a chapter, run in JupyterLab, shows no raw MyST
markup), ``benchmarks/lab_latency.py`` (how fast the experiments answer) and, from the command
line, for screenshots::

    .venv/bin/python tools/lab_browser.py shots chapters/04_forward.ipynb [--out DIR]

runs the notebook in JupyterLab and writes one PNG per screenful to DIR (default
``_build/lab-screenshots/<name>/``), then prints any raw markup it found in the rendered text.

JupyterLab runs from the project's environment on 127.0.0.1 with a token, in a temporary copy
of the notebooks' folder, so the repository's notebooks are never modified (JupyterLab saves
outputs into the files it opens).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_browser  # noqa: E402  (Chromium's path and flags)

TOKEN = "nnbook-lab"

#: Markup that JupyterLab (jupyterlab-myst) would show as it is written, or as an unresolved
#: reference: if any of it appears in the rendered text, a reader sees markup instead of prose.
RAW_MARKUP = re.compile(
    r"\{(glue|eval|cite|numref|doc|ref|py|prf|eq|term|download)[:a-z]*\}`"   # roles
    r"|```\{|:::\{"                                                        # directives
    r"|\$\$|\\\(|\\\["                                                     # unrendered maths
    r"|#cite-"                                                             # citation anchors
    r"|\?\?")                                                            # unresolved numbers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(notebooks: list[Path]):
    """Start JupyterLab on a temporary folder holding copies of ``notebooks``; yield
    ``(base_url, folder)``. Stopped (with its kernels) on exit."""
    work = Path(tempfile.mkdtemp(prefix="nnbook-lab-"))
    for nb in notebooks:
        shutil.copy(nb, work / nb.name)
    # settings of this JupyterLab only: every cell rendered (no windowing, so the whole
    # notebook can be read and screenshot), no news prompt
    settings = work / ".settings"
    for plugin, values in {
            "@jupyterlab/notebook-extension/tracker": '{"windowingMode": "none"}',
            "@jupyterlab/apputils-extension/notification": '{"fetchNews": "false"}'}.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(values)
    port = free_port()
    jupyter = Path(sys.executable).parent / "jupyter"
    args = [str(jupyter), "lab", "--ip", "127.0.0.1", "--port", str(port), "--no-browser",
            f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={work}",
            "--LabApp.news_url=", "--ServerApp.disable_check_xsrf=True"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(work / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1",
                                 "JUPYTERLAB_SETTINGS_DIR": str(settings)})
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={TOKEN}",
                                       timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    log_text = (work / "lab.log").read_text()
                    raise RuntimeError(f"JupyterLab exited: {log_text}") from None
                time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not start within two minutes")
        yield f"http://127.0.0.1:{port}", work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def launch(playwright):
    return playwright.chromium.launch(executable_path=site_browser.find_chromium(),
                                      args=site_browser.CHROMIUM_ARGS)


def open_notebook(browser, base: str, name: str, width: int = 1280, height: int = 1000):
    """Open one notebook, alone, in a new page. Each page gets a workspace of its own, reset:
    JupyterLab otherwise restores the notebooks earlier pages opened, as hidden tabs whose
    cells the selectors below would find first."""
    page = browser.new_page(viewport={"width": width, "height": height})
    workspace = "w" + uuid.uuid4().hex[:12]
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell",
                           timeout=180_000)
    open_panels = page.locator(".jp-NotebookPanel").count()
    if open_panels != 1:
        raise RuntimeError(f"{name}: {open_panels} notebooks open in JupyterLab, expected 1")
    time.sleep(2.0)
    for text in ("No", "Dismiss"):   # the "news" notification, if any
        button = page.locator(f".jp-Notification-Toast button:has-text('{text}')")
        if button.count():
            button.first.click()
    return page


def run_all(page, timeout_s: float = 900.0) -> None:
    """Run every cell (and render every markdown cell) and wait until nothing is queued."""
    page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    page.click("li[role='menuitem']:has-text('Run')", timeout=20_000)
    page.click("text=Run All Cells", timeout=20_000)
    deadline = time.time() + timeout_s
    time.sleep(2.0)
    while time.time() < deadline:
        busy = page.evaluate("""() => {
          const prompts = [...document.querySelectorAll('.jp-InputPrompt')]
              .map(p => p.textContent.trim());
          const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
          const kernelBusy = !!status && /busy/i.test(status.getAttribute('data-status') || '');
          return prompts.some(t => t.includes('*')) || kernelBusy;
        }""")
        if not busy:
            time.sleep(1.5)
            prompts = page.evaluate("""() => [...document.querySelectorAll(
                '.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim())""")
            idle = [p for p in prompts if not any(ch.isdigit() for ch in p)]
            if idle:   # a "Run All" that did not take (a busy machine): say so, loudly
                raise RuntimeError(f"{len(idle)} of {len(prompts)} code cells did not run in "
                                   f"JupyterLab (prompts {idle[:3]})")
            return
        time.sleep(0.5)
    raise TimeoutError("the notebook did not finish running in JupyterLab")


def rendered_markdown(page) -> list[str]:
    """The text of every rendered markdown cell, top to bottom (JupyterLab runs here without
    windowing, so every cell is in the page)."""
    page.evaluate("() => document.querySelectorAll('.jp-Notebook details')"
                  ".forEach(d => { d.open = true; })")   # dropdowns: read what they hide too
    time.sleep(0.5)
    return page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-MarkdownCell')]
        .map(c => (c.querySelector('.myst, .jp-RenderedMarkdown') || {}).innerText || '')
        .filter(t => t)""")


def unresolved_references(page) -> list[str]:
    """Text of references that jupyterlab-myst could not resolve (shown with a warning)."""
    return page.evaluate("""() => [...document.querySelectorAll(
        '.jp-Notebook [class*="error"], .jp-Notebook .text-yellow-600')]
        .map(e => e.innerText.trim()).filter(t => t)""")


def raw_markup(texts: list[str]) -> list[str]:
    """Lines of rendered text that still contain MyST markup."""
    found = []
    for text in texts:
        for line in text.splitlines():
            if RAW_MARKUP.search(line):
                found.append(line.strip()[:160])
    return found


def _scroller(page) -> str:
    return ("document.querySelector('.jp-WindowedPanel-outer') || "
            "document.querySelector('.jp-NotebookPanel-notebook') || "
            "document.querySelector('.jp-Notebook')")


def screenshots(page, out: Path, step: float = 0.9) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    page.evaluate(f"() => {{ const n = {_scroller(page)}; n.scrollTop = 0; }}")
    shots = []
    for i in range(300):
        time.sleep(0.6)
        path = out / f"{i:03d}.png"
        page.screenshot(path=str(path))
        shots.append(path)
        done = page.evaluate(f"""() => {{ const n = {_scroller(page)};
            const before = n.scrollTop; n.scrollTop += n.clientHeight * {step};
            return n.scrollTop === before; }}""")
        if done:
            break
    return shots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of notebooks run in JupyterLab.")
    sub = parser.add_subparsers(dest="command", required=True)
    shots = sub.add_parser("shots")
    shots.add_argument("notebooks", nargs="+", type=Path)
    shots.add_argument("--out", type=Path, default=ROOT / "_build" / "lab-screenshots")
    shots.add_argument("--width", type=int, default=1280)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    notebooks = [p.resolve() for p in args.notebooks]
    status = 0
    with jupyterlab(notebooks) as (base, _work), sync_playwright() as p:
        browser = launch(p)
        for nb in notebooks:
            page = open_notebook(browser, base, nb.name, width=args.width)
            t0 = time.time()
            run_all(page)
            print(f"{nb.name}: ran in JupyterLab in {time.time() - t0:.0f} s")
            raw = raw_markup(rendered_markdown(page))
            bad = unresolved_references(page)
            files = screenshots(page, args.out / nb.stem)
            print(f"{nb.name}: {len(files)} screenshots in {args.out / nb.stem}")
            for line in raw:
                print(f"  raw markup: {line}")
            for text in bad:
                print(f"  unresolved: {text}")
            status |= bool(raw or bad)
            page.close()
        browser.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
