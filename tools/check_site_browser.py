"""Open the built website in headless Chromium with the network cut off, and check it.

Usage::

    python tools/check_site_browser.py _build/html [page.html ...] [--screenshot DIR]

Serves the site with ``python -m http.server`` on 127.0.0.1, opens each page (default: every
page of the site) with Playwright driving the system Chromium, aborts and records every
request that does not go to that local server, and checks that

- every ``.math`` element was typeset by MathJax (contains an ``mjx-container``);
- on pages that embed ipywidgets, the widgets were rendered (``.jupyter-widgets`` visible);
- no request left the site, and no local file was missing (HTTP status >= 400).

Needs Chromium (``apt-get install chromium``; set CHROMIUM=/path if it is elsewhere) and the
``playwright`` Python package from requirements.txt (never ``playwright install``: the system
Chromium is used). Prints a JSON report; exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

WAIT_MATHJAX_JS = """
() => !document.querySelector('.math')
      || !!(window.MathJax && MathJax.startup && MathJax.startup.promise)
"""

# Runs in the page: wait for MathJax (if loaded) to finish, then measure.
MEASURE_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const math = Array.from(document.querySelectorAll('.math'));
  const untypeset = math.filter(el => !el.querySelector('mjx-container'))
                        .map(el => el.textContent.slice(0, 60));
  const widgets = Array.from(document.querySelectorAll('.jupyter-widgets'));
  const visible = widgets.filter(el => el.offsetWidth > 0 && el.offsetHeight > 0);
  return {
    mjx_containers: document.querySelectorAll('mjx-container').length,
    math_elements: math.length,
    untypeset_math: untypeset,
    widget_views_expected:
      document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
    jupyter_widgets: widgets.length,
    jupyter_widgets_visible: visible.length,
    sliders: document.querySelectorAll('.widget-slider').length,
    mjx_in_widgets: document.querySelectorAll('.jupyter-widgets mjx-container').length,
    widget_images: document.querySelectorAll('.jupyter-widgets img, .widget-output img').length,
  };
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (path := shutil.which(candidate)):
            return path
    sys.exit("check_site_browser: Chromium was not found; install it (apt-get install "
             "chromium) or set CHROMIUM to its path.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("pages", nargs="*", help="pages relative to the site (default: all)")
    parser.add_argument("--screenshot", type=Path, help="folder for one PNG per page")
    args = parser.parse_args()

    site = args.site.resolve()
    pages = args.pages or sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html")
        if "_static" not in p.relative_to(site).parts
        and p.name not in ("genindex.html", "search.html", "py-modindex.html")
    )
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
         "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    report: dict = {"site": str(site), "pages": {}, "blocked_external_requests": [],
                    "failed_local_requests": [], "console_errors": []}
    ok = True
    try:
        for _ in range(50):  # wait for the server
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def route(r):
                url = r.request.url
                if url.startswith(origin + "/") or url.startswith(("data:", "blob:")):
                    r.continue_()
                else:
                    report["blocked_external_requests"].append(url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("response", lambda resp: resp.status >= 400 and resp.url.startswith(origin)
                    and report["failed_local_requests"].append(f"{resp.status} {resp.url}"))
            page.on("console", lambda msg: msg.type == "error"
                    and report["console_errors"].append(f"{page.url}: {msg.text}"))
            page.on("pageerror", lambda exc: report["console_errors"].append(
                f"{page.url}: uncaught {exc}"))
            for rel in pages:
                page.goto(f"{origin}/{rel}", wait_until="networkidle")
                try:  # MathJax is deferred: on long pages it starts after "networkidle"
                    page.wait_for_function(WAIT_MATHJAX_JS, timeout=60000)
                except Exception:  # noqa: BLE001 - untypeset math is reported below
                    pass
                result = page.evaluate(MEASURE_JS)
                if result["widget_views_expected"]:
                    try:
                        page.wait_for_selector(".jupyter-widgets", state="visible", timeout=20000)
                        page.wait_for_load_state("networkidle")
                        page.wait_for_timeout(2000)  # typesetting of widget labels is async
                    except Exception:  # noqa: BLE001 - reported below
                        pass
                    result = page.evaluate(MEASURE_JS)
                report["pages"][rel] = result
                if result["untypeset_math"]:
                    ok = False
                if result["widget_views_expected"] and not result["jupyter_widgets_visible"]:
                    ok = False
                if args.screenshot:
                    args.screenshot.mkdir(parents=True, exist_ok=True)
                    name = rel.replace("/", "__").removesuffix(".html") + ".png"
                    try:
                        page.screenshot(path=str(args.screenshot / name), full_page=True,
                                        timeout=120000)
                    except Exception:  # noqa: BLE001 - very long pages: the viewport only
                        page.screenshot(path=str(args.screenshot / name), timeout=60000)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    if report["blocked_external_requests"] or report["failed_local_requests"]:
        ok = False
    report["external_hosts"] = sorted({urlsplit(u).netloc for u in
                                       report["blocked_external_requests"]})
    report["ok"] = ok
    print(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
