"""How long a reader waits in JupyterLab: control moved -> new figure on the screen.

Starts JupyterLab from the project's environment on 127.0.0.1 (a temporary copy of
``chapters/``, so the notebooks in the repository are never touched), opens each chapter in
headless Chromium with Playwright, runs all cells, and then, for every live experiment
(``book.live``), moves its main control one step with the keyboard, alternately right and
left, and times the interval from the key press to the moment the experiment's image changes
(both measured inside the page with ``performance.now()``). It prints the median per
experiment and the median of the callback alone (update + render, in the kernel, measured by
the same widget), so the two can be compared.

Usage (after ``make setup``)::

    .venv/bin/python benchmarks/lab_latency.py                   # every chapter
    .venv/bin/python benchmarks/lab_latency.py 04_forward 05_backprop --moves 9

Needs Debian's chromium (``CHROMIUM=/path`` overrides). Not a test: timings depend on the
machine; the README's benchmark section records a run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import lab_browser  # noqa: E402  (tools/lab_browser.py: JupyterLab in headless Chromium)

# Records, inside the page, when a key goes down and when an experiment's image changes.
PROBE = """
() => {
  if (window.__nnb) return;
  window.__nnb = {down: 0, changed: 0};
  document.addEventListener('keydown', () => { window.__nnb.down = performance.now(); }, true);
  document.addEventListener('change', () => { window.__nnb.down = window.__nnb.down ||
                                                             performance.now(); }, true);
  new MutationObserver(muts => {
    for (const m of muts) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (el && el.closest && el.closest('.nnb-live-image')) {
        window.__nnb.changed = performance.now();
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['src']});
}
"""


def measure(page, box, moves: int) -> list[float]:
    """Key presses on the box's main control; the delay until its image changed, in ms."""
    page.evaluate(PROBE)
    control = box.locator(".nnb-live-main .noUi-handle, .nnb-live-main select, "
                          ".nnb-live-main input[type=checkbox]").first
    control.scroll_into_view_if_needed()
    tag = control.evaluate("el => el.tagName.toLowerCase()")
    # a slider at its maximum (a default at the end of the range) moves left first
    at_max = tag == "div" and control.get_attribute("aria-valuenow") == \
        control.get_attribute("aria-valuemax")
    times = []
    for i in range(moves + 1):
        page.evaluate("() => { window.__nnb.down = 0; window.__nnb.changed = 0; }")
        control.focus()
        if tag == "select":
            n = control.evaluate("el => el.options.length")
            current = control.evaluate("el => el.selectedIndex")
            control.select_option(index=(current + 1) % n)
        elif tag == "input":
            control.click()
        else:
            page.keyboard.press("ArrowRight" if (i % 2 == 0) != at_max else "ArrowLeft")
        try:
            page.wait_for_function("() => window.__nnb.changed > window.__nnb.down && "
                                   "window.__nnb.down > 0", timeout=15_000)
        except Exception:  # noqa: BLE001 - a move that never redraws is reported, not fatal
            if i > 0:
                times.append(float("nan"))
            continue
        ms = page.evaluate("() => window.__nnb.changed - window.__nnb.down")
        if i > 0:  # the first move warms caches up
            times.append(ms)
        time.sleep(0.3)
    return times


def callback_times(chapter: str) -> dict:
    """Median of update + render in a plain Python process, per experiment (the kernel's
    share of a move), moving the main control one step as the browser does."""
    code = f"""
import importlib, json, statistics, time
from nnlib import plot
plot.use_book_style()
from book import live
module = importlib.import_module("book.ch{chapter}")
out = {{}}
for make in getattr(module, "EXPERIMENTS", ()):
    exp = make()
    w = exp.widget()
    c = exp.controls[exp.main]
    base = exp.defaults[exp.main]
    if isinstance(c, live.Pick):        # tick or untick the first option
        first = c.values()[0]
        other = tuple(v for v in c.values() if (v in base) != (v == first))
    else:
        grid = c.values()
        i = min(range(len(grid)), key=lambda j: abs(grid.index(base) - j) if base in grid
                else j)
        other = grid[i + 1] if i + 1 < len(grid) else grid[i - 1]
    ts = []
    for k in range(10):
        t = time.perf_counter()
        w.controls[exp.main].value = other if k % 2 == 0 else base
        ts.append((time.perf_counter() - t) * 1e3)
    out[exp.name] = statistics.median(ts)
print(json.dumps(out))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT / "chapters", timeout=600)
    if res.returncode:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr else "failed"}
    import json

    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="notebook names such as 04_forward")
    parser.add_argument("--moves", type=int, default=7, help="timed moves per experiment")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    notebooks = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if args.chapters:
        notebooks = [n for n in notebooks if n in args.chapters or n[:2] in args.chapters]
    rows = []
    paths = [ROOT / "chapters" / f"{name}.ipynb" for name in notebooks]
    with lab_browser.jupyterlab(paths) as (base, _work), sync_playwright() as p:
        browser = lab_browser.launch(p)
        for name in notebooks:
            page = lab_browser.open_notebook(browser, base, f"{name}.ipynb")
            lab_browser.run_all(page)
            boxes = page.locator(".nnb-live")
            kernel = callback_times(name)
            for i in range(boxes.count()):
                box = boxes.nth(i)
                title = box.evaluate("el => ([...el.classList].find(c => "
                                     "c.startsWith('nnb-live-exp-')) || '').slice(13)") \
                    or f"experiment {i + 1}"
                times = measure(page, box, args.moves)
                good = [t for t in times if t == t]
                rows.append((name, title, statistics.median(good) if good else float("nan"),
                             max(good) if good else float("nan"),
                             len(times) - len(good), kernel.get(title, float("nan"))))
                print(f"{name:28s} {title:48s} median {rows[-1][2]:7.1f} ms  "
                      f"worst {rows[-1][3]:7.1f} ms  callback {rows[-1][5]:6.1f} ms",
                      flush=True)
            page.close()
        browser.close()
    print()
    print("| chapter | experiment | median, key to image (ms) | worst (ms) | callback alone (ms) |")
    print("|---|---|---|---|---|")
    for name, title, med, worst, missed, cb in rows:
        note = f" ({missed} moves never redrew)" if missed else ""
        print(f"| {name} | {title} | {med:.0f}{note} | {worst:.0f} | {cb:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
