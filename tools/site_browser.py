"""Open the built website in headless Chromium, offline: the code the browser checks share.

Used by ``tests/site/test_site.py`` (the browser test suite; ``make test`` runs it on the strict
build; ``make site-check`` on the site of ``make book``) and ``tools/screenshots.py``
(``make screenshots``).

- :func:`serve` serves a built site on ``http://127.0.0.1:<free port>`` from a thread.
- :func:`site_pages` lists every page: a crawl from ``index.html`` along internal links, then
  any other ``.html`` file of the site.
- :func:`find_chromium` finds the system Chromium (``CHROMIUM=/path`` overrides); Playwright
  drives it (``playwright install`` is never needed).
- :func:`launch` starts it with the network cut off, :func:`offline_context` makes a browser
  context in which every request not addressed to the local server is aborted.
- :func:`visit` opens one page, waits for MathJax and the widgets, and returns a
  :class:`PageReport`: console errors, every request, what was typeset and rendered, images,
  links, element ids and the axe-core accessibility violations.

The browser has no network, in three layers:

1. Chromium's flags (:data:`OFFLINE_ARGS`): no host name resolves, except 127.0.0.1; a URL
   with a literal IP address goes to a proxy that does not exist (loopback addresses bypass
   proxies, so the local server stays reachable); WebRTC may not send UDP around that proxy.
2. Request interception: the context routes every request; anything that is not the local
   server (or a ``data:``/``blob:`` URL) is recorded and aborted, and service workers,
   which could fetch past the interception, are blocked.
3. Where the kernel allows it, the Makefile runs the suite in an empty network namespace
   (``unshare -n``, loopback only), so nothing could leave even if 1 and 2 failed.

A page that needs anything from outside the site therefore breaks in the test exactly as it
would for a reader without network, and the request is reported by URL.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from collections.abc import Iterator
from urllib.parse import unquote, urljoin, urlsplit

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OFFLINE_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]
VIEWPORT = {"width": 1280, "height": 900}

# Folders of a built site that hold assets, not pages (_static/ also holds the themes'
# Jinja templates, *.html files that are not pages).
ASSET_DIRS = ("_static", "_sources", "_images", "vendor")

# Every mime type a Jupyter Book page can carry that contains widget views or state.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# --- serving -------------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".ipynb": "application/x-ipynb+json", ".js": "text/javascript",
                      ".woff2": "font/woff2", ".woff": "font/woff"}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) from a thread; yield the origin URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the pages of the site -----------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("a", "area") and a.get("href"):
            self.hrefs.append(a["href"])
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", a.get("content", ""), re.I)
            if m:
                self.hrefs.append(m.group(1).strip())


def is_asset(rel: str) -> bool:
    """True for a path (relative to the site) inside one of the asset folders."""
    return rel.split("/", 1)[0] in ASSET_DIRS


def local_target(page: str, href: str) -> tuple[str, str] | None:
    """(path relative to the site, fragment) of a relative link found on ``page``, or None
    for a link to another site (a URL with a scheme or host)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path:
        return page, unquote(parts.fragment)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if path.endswith("/") or target == ".":
        target = posixpath.join("" if target == "." else target, "index.html")
    return target, unquote(parts.fragment)


def crawl(site: Path, start: str = "index.html") -> list[str]:
    """The pages reachable from ``start`` along links (and meta refreshes), in crawl order."""
    seen, queue = [start], [start]
    while queue:
        page = queue.pop(0)
        parser = _Links()
        parser.feed((site / page).read_text(encoding="utf-8", errors="replace"))
        for href in parser.hrefs:
            target = local_target(page, href)
            if target is None:
                continue
            rel = target[0]
            if (rel.endswith(".html") and rel not in seen and not rel.startswith("../")
                    and not is_asset(rel) and (site / rel).is_file()):
                seen.append(rel)
                queue.append(rel)
    return seen


def site_pages(site: Path) -> list[str]:
    """Every page: those reachable from index.html first, then any other .html file."""
    pages = crawl(site) if (site / "index.html").is_file() else []
    rest = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return pages + [p for p in rest if p not in pages and not is_asset(p)]


def screenshot_name(page: str) -> str:
    """File name of a page's screenshot: chapters/01_x.html -> chapters__01_x.png."""
    return page.removesuffix(".html").replace("/", "__") + ".png"


# --- the browser ---------------------------------------------------------------------------


def find_chromium() -> str | None:
    """Path of the system Chromium (CHROMIUM=/path overrides), or None if there is none."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser",
                      "/usr/bin/chromium"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def launch(playwright: Any, chromium: str, *, offline: bool = True) -> Any:
    """Launch headless Chromium (a Playwright Browser) with the network cut off."""
    args = CHROMIUM_ARGS + (OFFLINE_ARGS if offline else [])
    return playwright.chromium.launch(executable_path=chromium, args=args)


def is_local(url: str, origin: str) -> bool:
    """True for a request the site may make: to the local server, or a data:/blob: URL."""
    return url == origin or url.startswith((origin + "/", "data:", "blob:", "about:"))


@dataclass
class Traffic:
    """The requests a browser context asked for, and those that were aborted."""

    origin: str
    blocked: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if is_local(url, self.origin):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def offline_context(browser: Any, origin: str, **options: Any) -> tuple[Any, Traffic]:
    """A browser context that reaches the local server only: (context, its Traffic)."""
    options.setdefault("viewport", VIEWPORT)
    context = browser.new_context(service_workers="block", **options)
    traffic = Traffic(origin)
    context.route("**/*", traffic.route)
    return context, traffic


# --- one page ------------------------------------------------------------------------------

# Runs in the page after "load": wait (within a budget of milliseconds) until MathJax has
# typeset, every widget view is rendered, every image is decoded, and the page is quiet.
SETTLE_JS = """
async (budget) => {
  const t0 = performance.now(), left = () => budget - (performance.now() - t0);
  const sleep = ms => new Promise(r => setTimeout(r, Math.max(0, ms)));
  const until = async cond => { while (!cond()) { if (left() <= 0) return false;
                                                  await sleep(100); } return true; };
  if (document.querySelector('.math')) {
    await until(() => window.MathJax && MathJax.startup && MathJax.startup.promise);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise)
      await Promise.race([MathJax.startup.promise.catch(() => null), sleep(left())]);
  }
  const views = [...document.querySelectorAll('script[type="%(view)s"]')];
  await until(() => views.every(
    s => s.parentElement.querySelector(':scope > .widget-subarea > *')));
  for (const img of document.images) img.loading = 'eager';
  await Promise.race([Promise.all([...document.images].map(i => i.decode().catch(() => null))),
                      sleep(left())]);
  // Widget labels are typeset after the widgets render: wait until nothing changes.
  let last = -1, stable = 0;
  while (stable < 5 && left() > 0) {
    const n = document.getElementsByTagName('*').length
              + document.querySelectorAll('mjx-container').length;
    stable = n === last ? stable + 1 : 0;
    last = n;
    await sleep(100);
  }
}
""".replace("%(view)s", WIDGET_VIEW)

# Runs in the page: everything the checks look at.
MEASURE_JS = """
() => {
  const shown = el => !!el && el.checkVisibility() && el.getClientRects().length > 0
                      && el.getBoundingClientRect().width > 0;
  // mathematics
  const math = [...document.querySelectorAll('.math')];
  const untypeset = math.filter(el => !el.querySelector('mjx-container'))
                        .map(el => el.textContent.trim().slice(0, 80));
  // TeX left as text where a reader sees it (code and the MathJax output itself excepted)
  const skip = 'script, style, pre, code, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawTex = [];
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    const m = t.data.match(/\\\\\\(|\\\\\\[|\\$\\$|\\\\begin\\{/);
    if (m) rawTex.push(t.data.slice(Math.max(0, m.index - 30), m.index + 50).trim());
  }
  // widgets: each view next to its script, checked against the saved widget state
  const stateTag = document.querySelector(
    'script[type="application/vnd.jupyter.widget-state+json"]');
  let state = {};
  try { state = stateTag ? JSON.parse(stateTag.textContent).state || {} : {}; } catch (e) {}
  const reachable = (id, seen = new Set()) => {
    if (seen.has(id) || !state[id]) return seen;
    seen.add(id);
    for (const v of Object.values(state[id].state || {}))
      for (const x of (Array.isArray(v) ? v : [v]))
        if (typeof x === 'string' && x.startsWith('IPY_MODEL_')) reachable(x.slice(10), seen);
    return seen;
  };
  const views = [...document.querySelectorAll('script[type="%(view)s"]')].map(s => {
    let id = null;
    try { id = JSON.parse(s.textContent).model_id; } catch (e) {}
    const models = [...reachable(id)].map(k => state[k]);
    const sub = s.parentElement.querySelector(':scope > .widget-subarea');
    const root = sub && sub.firstElementChild;
    const imgs = sub ? [...sub.querySelectorAll('.widget-output img')] : [];
    return {
      model_id: id,
      in_state: !!state[id],
      rendered: shown(root),
      sliders_expected: models.filter(m => /SliderModel$/.test(m.model_name)).length,
      sliders: sub ? sub.querySelectorAll('.widget-slider').length : 0,
      sliders_shown: sub ? [...sub.querySelectorAll('.widget-slider')].filter(shown).length : 0,
      images_expected: models.filter(m => m.model_name === 'OutputModel')
        .flatMap(m => m.state.outputs || [])
        .filter(o => o.data && Object.keys(o.data).some(k => k.startsWith('image/'))).length,
      images: imgs.filter(i => i.naturalWidth > 0 && shown(i)).length,
    };
  });
  const links = [...document.querySelectorAll('a[href], area[href]')].map(a => ({
    href: a.href, raw: a.getAttribute('href'),
    text: (a.textContent || a.getAttribute('title') || a.getAttribute('aria-label') || '')
            .replace(/\\s+/g, ' ').trim().slice(0, 60),
    sidebar: !!a.closest('#pst-primary-sidebar, .bd-sidebar-primary'),
  }));
  const resources = performance.getEntriesByType('resource').map(e => ({
    url: e.name, bytes: e.encodedBodySize || e.transferSize || 0}));
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    title: document.title,
    url: location.href,
    page_bytes: (nav ? (nav.encodedBodySize || nav.transferSize || 0) : 0),
    resources: resources,
    live: document.querySelectorAll('div.nnb-live').length,
    scroll_width: document.documentElement.scrollWidth,
    viewport_width: window.innerWidth,
    math_elements: math.length,
    mjx_containers: document.querySelectorAll('mjx-container').length,
    untypeset_math: untypeset,
    raw_tex: rawTex.slice(0, 20),
    widget_views: views,
    widgets_visible: [...document.querySelectorAll('.jupyter-widgets')].filter(shown).length,
    images: [...document.images].map(i => ({
      src: (i.currentSrc || i.src).slice(0, 120), alt: i.getAttribute('alt'),
      loaded: i.complete && i.naturalWidth > 0})),
    links: links,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
           .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
  };
}
""".replace("%(view)s", WIDGET_VIEW)

# axe-core: every rule on the whole page except colour contrast, then colour contrast on all
# of the page but code blocks and MathJax output. Colour contrast is by far the slowest rule
# (minutes on a long page on a busy 2-core machine), and those two parts are the bulk of a
# page's text elements while their colours are not ours: code is coloured by the theme's
# "a11y-high-contrast" Pygments styles (WCAG AAA by design), mathematics in the text colour.
AXE_CONTRAST_EXCLUDE = [["div.highlight"], ["mjx-container"]]
AXE_RUN_JS = """
async ([budget, contrastExclude]) => {
  const strip = r => r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '),
                              html: n.html.replace(/\\s+/g, ' ').slice(0, 160)}))}));
  const work = (async () => {
    // preload: false. axe-core's preload fetches every stylesheet again and resolves an
    // @import against the page instead of the stylesheet (the theme's "../basic.css"
    // became /basic.css, a 404 in the console); only css-orientation-lock needs it.
    const rest = await axe.run(document, {resultTypes: ['violations'], preload: false,
                                          rules: {'color-contrast': {enabled: false}}});
    const contrast = await axe.run({exclude: contrastExclude},
                                   {resultTypes: ['violations'], preload: false,
                                    runOnly: ['color-contrast']});
    return strip(rest).concat(strip(contrast));
  })();
  const timeout = new Promise((_, reject) => setTimeout(
    () => reject(new Error(`axe-core did not finish within ${budget / 1000} s`)), budget));
  return await Promise.race([work, timeout]);
}
"""


def axe_source() -> tuple[str, str]:
    """(axe-core's JavaScript, its version): the copy shipped inside axe-playwright-python,
    so nothing is downloaded."""
    from axe_playwright_python.base import AXE_SCRIPT

    m = re.search(r"axe v(\d+\.\d+\.\d+)", AXE_SCRIPT[:200])
    return AXE_SCRIPT, m.group(1) if m else "?"


@dataclass
class PageReport:
    """What one visit of one page saw."""

    page: str
    status: int | None = None
    final_url: str = ""
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    measures: dict = field(default_factory=dict)
    axe: list[dict] | None = None
    axe_error: str | None = None
    seconds: float = 0.0
    axe_seconds: float = 0.0

    def axe_count(self, impact: str) -> int:
        return sum(1 for v in self.axe or [] if v["impact"] == impact)


def watch(page: Any, origin: str, report: PageReport) -> None:
    """Record the page's console errors, uncaught exceptions and requests into ``report``."""
    def on_console(msg: Any) -> None:
        where = msg.location.get("url", "") if msg.location else ""
        text = f"{msg.text} ({where.removeprefix(origin + '/')})" if where else msg.text
        if msg.type == "error":
            report.console_errors.append(text)
        elif msg.type == "warning":
            report.console_warnings.append(text)

    def on_request(request: Any) -> None:
        report.requests.append(request.url)
        if not is_local(request.url, origin):
            report.external_requests.append(request.url)

    def on_failed(request: Any) -> None:
        if is_local(request.url, origin):
            report.failed_requests.append(f"{request.url} ({request.failure})")

    def on_response(response: Any) -> None:
        if response.status >= 400 and is_local(response.url, origin):
            report.failed_requests.append(f"{response.url} (HTTP {response.status})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: report.console_errors.append(f"uncaught: {exc}"))
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("websocket", lambda ws: report.external_requests.append(ws.url))


_META_REFRESH = re.compile(r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]*"""
                           r"""content=["']\s*\d+\s*;\s*url=([^"'>]+)""", re.IGNORECASE)


def _fetch_text(url: str) -> str:
    """The text of a page of the local server, read outside the browser."""
    from urllib.request import urlopen

    with urlopen(url, timeout=30) as f:  # noqa: S310 - the local server
        return f.read().decode("utf-8", "replace")


def open_page(page: Any, url: str, *, timeout_s: float = 90) -> Any:
    """Go to ``url`` and wait until MathJax, widgets and images are done; return the
    navigation's response."""
    response = page.goto(url, wait_until="load", timeout=timeout_s * 1000)
    # A redirect page (the site's index.html: <meta http-equiv="Refresh" content="0; url=...">)
    # navigates again at once; evaluating scripts during that navigation fails or never
    # returns, so wait for the page it leads to.
    refresh = _META_REFRESH.search(_fetch_text(url)) if url.endswith(".html") else None
    if refresh:
        target = urljoin(url, refresh.group(1).strip().strip("'\""))
        page.wait_for_url(target, wait_until="load", timeout=timeout_s * 1000)
    try:
        page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
    except Exception:  # noqa: BLE001 - a page that never goes quiet is measured as it is
        pass
    page.evaluate(SETTLE_JS, timeout_s * 1000)
    return response


# --- live experiments (book/live.py, book/static/live.js) ------------------------------------

def _frame_url(page: Any, src: str) -> str:
    return urljoin(page.url, src)


def _state(page: Any, root: Any, spec: dict) -> dict:
    """What the experiment shows now: its frame key, picked options, image and layer srcs."""
    return root.evaluate("""(root) => {
      const img = root.querySelector('img.nnb-live-img');
      const layers = {};
      root.querySelectorAll('img.nnb-live-layer').forEach(
        el => { layers[el.dataset.option] = el.hidden ? null : el.src; });
      return {key: img.dataset.key || '', src: img.src, alt: img.alt, layers: layers};
    }""")


def _check_shown(page: Any, root: Any, spec: dict, where: str) -> list[str]:
    """The image (and the ticked layers) must be the frame precomputed for the key shown, and
    the key must agree with the controls' positions."""
    problems = []
    st = _state(page, root, spec)
    frame = spec["frames"].get(st["key"])
    if frame is None:
        return [f"{where}: shows key {st['key']!r}, which has no frame"]
    if st["src"] != _frame_url(page, frame["src"]):
        problems.append(f"{where}: the image is {st['src']}, not the frame of {st['key']!r}")
    keyed = [c for c in spec["controls"] if c["kind"] != "pick"]
    parts = st["key"].split("|")
    for c, part in zip(keyed, parts, strict=False):
        current = root.evaluate("""(root, c) => {
          const el = root.querySelector(`[data-control="${c.name}"]`);
          if (!el) return null;
          if (c.kind === 'select') return c.values[+el.value];
          if (c.kind === 'checkbox') return el.checked ? 'on' : 'off';
          return c.values[+el.value]; }""", c)
        if current is not None and current != part:
            problems.append(f"{where}: control {c['name']} shows {current!r} but the figure is "
                            f"for {part!r}")
    for option, src in st["layers"].items():
        box = root.locator(f'input[data-pick][value="{option}"]')
        ticked = box.count() and box.first.is_checked()
        if bool(ticked) != (src is not None):
            problems.append(f"{where}: layer {option!r} is {'shown' if src else 'hidden'} but "
                            f"its box is {'ticked' if ticked else 'not ticked'}")
        if src is not None and src != _frame_url(page, frame["layers"][option]):
            problems.append(f"{where}: layer {option!r} is not the one of {st['key']!r}")
    if not st["alt"]:
        problems.append(f"{where}: the figure has no text alternative")
    return problems


def exercise_experiments(page: Any) -> tuple[int, int, list[str]]:
    """Move every control of every live experiment on the open page (the keyboard for
    sliders, a choice for menus, a click for check boxes, Play), and check after each move
    that the figure changed and is the frame precomputed for the controls' values.

    Returns (experiments, moves made, problems)."""
    import json

    problems: list[str] = []
    boxes = page.locator("div.nnb-live")
    moves = 0
    for i in range(boxes.count()):
        root = boxes.nth(i)
        spec = json.loads(root.locator("script.nnb-live-data").text_content())
        name = spec["name"]
        root.scroll_into_view_if_needed()
        problems += _check_shown(page, root, spec, f"{name} (as loaded)")
        for c in spec["controls"]:
            where = f"{name}: {c['name']}"
            before = _state(page, root, spec)
            if c["kind"] == "pick":
                box = root.locator(f'input[data-pick="{c["name"]}"]').first
                box.focus()
                page.keyboard.press("Space")
            elif c["kind"] == "select":
                el = root.locator(f'select[data-control="{c["name"]}"]')
                n = len(c["values"])
                el.select_option(index=(int(el.input_value()) + 1) % n)
            elif c["kind"] == "checkbox":
                el = root.locator(f'input[data-control="{c["name"]}"]')
                el.focus()
                page.keyboard.press("Space")
            else:
                el = root.locator(f'input[data-control="{c["name"]}"]')
                el.focus()
                at_end = el.evaluate("e => +e.value >= +e.max")
                page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
            page.wait_for_timeout(50)
            moves += 1
            after = _state(page, root, spec)
            if after == before:
                problems.append(f"{where}: moving it did not change the figure")
            problems += _check_shown(page, root, spec, where)
            if c["kind"] == "play":
                button = root.locator(f'button[data-play="{c["name"]}"]')
                seen = set()
                button.click()
                for _ in range(int(3.5 * c.get("interval", 400) / 100) + 5):
                    page.wait_for_timeout(100)
                    seen.add(_state(page, root, spec)["key"])
                    if len(seen) >= 3:
                        break
                if button.get_attribute("aria-pressed") == "true":
                    button.click()
                moves += 1
                if len(seen) < 2:
                    problems.append(f"{where}: Play did not animate the figure")
                problems += _check_shown(page, root, spec, f"{where} (after Play)")
    return boxes.count(), moves, problems


def run_axe(page: Any, *, timeout_s: float) -> list[dict]:
    """axe-core's violations on the open page (raises if it takes longer than timeout_s)."""
    script, _ = axe_source()
    page.evaluate(script)
    return page.evaluate(AXE_RUN_JS, [timeout_s * 1000, AXE_CONTRAST_EXCLUDE])


def visit(context: Any, origin: str, rel: str, *, axe_timeout_s: float | None = 600,
          timeout_s: float = 90) -> PageReport:
    """Open ``rel`` in a new tab of ``context`` and measure it (axe unless axe_timeout_s is
    None)."""
    report = PageReport(rel)
    t0 = time.monotonic()
    page = context.new_page()
    try:
        watch(page, origin, report)
        response = open_page(page, f"{origin}/{rel}", timeout_s=timeout_s)
        report.status = response.status if response else None
        report.final_url = page.url
        report.measures = page.evaluate(MEASURE_JS)
        if axe_timeout_s is not None:
            t1 = time.monotonic()
            try:
                report.axe = run_axe(page, timeout_s=axe_timeout_s)
            except Exception as exc:  # noqa: BLE001 - reported by the accessibility test
                report.axe_error = str(exc).splitlines()[0]
            report.axe_seconds = time.monotonic() - t1
    finally:
        page.close()
        report.seconds = time.monotonic() - t0
    return report


# --- no network at all: an empty network namespace ------------------------------------------


def offline_command(argv: list[str]) -> tuple[list[str], str]:
    """``argv`` wrapped to run in a new network namespace with loopback only, if the kernel
    allows it here (``unshare -n`` as root, ``unshare -rn`` in a user namespace), and a
    sentence saying which; else ``argv`` itself."""
    import subprocess

    if shutil.which("unshare") and shutil.which("ip"):
        for flags in (["-n"], ["-rn"]):
            probe = subprocess.run(["unshare", *flags, "ip", "link", "set", "lo", "up"],
                                   capture_output=True)
            if probe.returncode == 0:
                return (["unshare", *flags, "sh", "-c", 'ip link set lo up && exec "$@"',
                         "offline", *argv],
                        f"no network: own network namespace (unshare {flags[0]}), loopback only")
    return argv, ("no network namespace available here (unshare): Chromium's flags and "
                  "request interception keep the browser offline")


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 3 or sys.argv[1] != "run-offline":
        sys.exit("usage: python tools/site_browser.py run-offline COMMAND [ARG ...]")
    command, how = offline_command(sys.argv[2:])
    print(f"site_browser: {how}", flush=True)
    os.execvp(command[0], command)
