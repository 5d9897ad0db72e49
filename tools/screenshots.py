"""Write one full-page screenshot (PNG) per page of the built website, for review.

Usage::

    python tools/screenshots.py [SITE] [OUT] [page.html ...]

SITE defaults to _build/html, OUT to _build/screenshots (emptied of old PNGs first); the
pages default to all of them (tools/site_browser.py: a crawl from index.html, then every other
.html file). `make screenshots` runs this with the network cut off, like the browser tests:
the site is served on 127.0.0.1 and opened in headless Chromium, each page is shown once
MathJax, the widgets and the images are done. Files are numbered in crawl order (book order):
``03_chapters__01_perceptron.png``. A page that logs console errors or asks for anything
outside the site is named on the way, but still photographed.

Chromium cannot capture more than 16384 pixels in one go, so taller pages are captured in
slices and joined (with matplotlib, already a dependency of the book).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import site_browser as sb  # noqa: E402

SLICE = 8000  # pixels of page height per capture (well under Chromium's 16384 limit)


def capture(page, path: Path) -> tuple[int, int]:
    """Full-page screenshot of ``page`` into ``path``; returns (width, height) in pixels."""
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    if height <= SLICE:
        page.screenshot(path=str(path), full_page=True, timeout=180_000)
        return width, height
    import io

    import matplotlib.image as mpimg
    import numpy as np

    parts = []
    for top in range(0, height, SLICE):
        clip = {"x": 0, "y": top, "width": width, "height": min(SLICE, height - top)}
        png = page.screenshot(full_page=True, clip=clip, timeout=180_000)
        parts.append(mpimg.imread(io.BytesIO(png), format="png"))
    mpimg.imsave(path, np.concatenate(parts, axis=0))
    return width, height


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.endswith(".html")]
    pages_wanted = [a for a in argv[1:] if a.endswith(".html")]
    site = Path(args[0] if args else "_build/html").resolve()
    out = Path(args[1] if len(args) > 1 else "_build/screenshots")
    if not (site / "index.html").is_file():
        print(f"screenshots: {site} is not a built site (no index.html); run `make book` first.",
              file=sys.stderr)
        return 1
    chromium = sb.find_chromium()
    if chromium is None:
        print("screenshots: Chromium was not found; install it (apt-get install chromium) or "
              "set CHROMIUM=/path/to/chromium.", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    all_pages = sb.site_pages(site)
    pages = pages_wanted or all_pages
    out.mkdir(parents=True, exist_ok=True)
    if not pages_wanted:
        for old in out.glob("*.png"):
            old.unlink()
    t0 = time.monotonic()
    problems = 0
    with sb.serve(site) as origin, sync_playwright() as p:
        browser = sb.launch(p, chromium)
        context, _ = sb.offline_context(browser, origin)
        for rel in pages:
            number = all_pages.index(rel) if rel in all_pages else len(all_pages)
            path = out / f"{number:02d}_{sb.screenshot_name(rel)}"
            report = sb.PageReport(rel)
            page = context.new_page()
            try:
                sb.watch(page, origin, report)
                sb.open_page(page, f"{origin}/{rel}")
                width, height = capture(page, path)
            finally:
                page.close()
            notes = ([f"{len(report.console_errors)} console error(s)"]
                     if report.console_errors else [])
            if report.external_requests:
                notes.append(f"{len(report.external_requests)} request(s) outside the site")
            problems += bool(notes)
            print(f"{path}  ({width}x{height})" + (f"  !! {'; '.join(notes)}" if notes else ""),
                  flush=True)
        context.close()
        browser.close()
    print(f"screenshots: {len(pages)} page(s) in {out} ({time.monotonic() - t0:.0f} s)"
          + (f"; {problems} with problems (run the browser tests)" if problems else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
