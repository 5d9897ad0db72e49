"""The chapters read in JupyterLab as on the website: no raw markup, numbers shown.

A real JupyterLab (from the project's environment, on 127.0.0.1, with jupyterlab-myst) in
headless Chromium, as a student opens the notebooks (tools/lab_browser.py). Every chapter is
opened and its rendered markdown read: no role or directive may show as raw text and no
reference may stay unresolved. One chapter is also run from the top, as the README tells
students to: then its computed numbers ({eval}) must show as numbers.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import lab_browser as lb  # noqa: E402
import site_browser as sb  # noqa: E402

pytest.importorskip("playwright.sync_api")

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
RUN = ROOT / "chapters" / "04_forward.ipynb"   # the chapter run in full (~30 s)


@pytest.fixture(scope="module")
def lab():
    if sb.find_chromium() is None:
        pytest.skip("Chromium was not found: the JupyterLab tests were NOT run (install "
                    "chromium, as .ci/run does)")
    from playwright.sync_api import sync_playwright

    with lb.jupyterlab(CHAPTERS) as (base, _work), sync_playwright() as p:
        browser = lb.launch(p)
        yield browser, base
        browser.close()


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_opens_without_raw_markup(lab, path):
    browser, base = lab
    page = lb.open_notebook(browser, base, path.name)
    try:
        time.sleep(1.0)
        texts = lb.rendered_markdown(page)
        raw = [line for line in lb.raw_markup(texts) if "{eval}" not in line]
        unresolved = lb.unresolved_references(page)
    finally:
        page.close()
    assert len(texts) >= 10, f"{path.name}: only {len(texts)} markdown cells rendered"
    assert not raw, f"{path.name}: raw markup in JupyterLab:\n  " + "\n  ".join(raw)
    assert not unresolved, f"{path.name}: unresolved references: {unresolved}"


def test_a_chapter_run_in_jupyterlab_shows_its_numbers(lab):
    browser, base = lab
    page = lb.open_notebook(browser, base, RUN.name)
    try:
        lb.run_all(page)
        texts = lb.rendered_markdown(page)
        errors = page.locator(".jp-OutputArea-output[data-mime-type="
                              "'application/vnd.jupyter.stderr']").count()
    finally:
        page.close()
    raw = lb.raw_markup(texts)
    assert not raw, f"{RUN.name} after running: raw markup:\n  " + "\n  ".join(raw)
    joined = "\n".join(texts)
    assert "0.727" in joined and "109,386" in joined, "the worked example's numbers are shown"
    assert errors == 0, f"{RUN.name}: {errors} outputs on stderr (warnings or errors)"
