"""The website as readers see it: every page of the built site in a real browser, offline.

The built site comes from the environment variable BOOK_HTML (default: _build/html of this
repository); ``make test`` runs this file on its strict build, after building it:

    BOOK_HTML=_build/strict/_build/html .venv/bin/python -m pytest tests/site/test_site.py

The site is served from a thread on 127.0.0.1 (a free port) and opened in headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright; set CHROMIUM=/path for another one). The
browser has no network: see tools/site_browser.py, which this suite shares with
``make screenshots`` and ``make site-check``. Without Chromium every test is skipped, with
the reason; a missing site directory is a failure.

Every page (a crawl from index.html along internal links, plus every other .html file of the
site) is opened once; the tests then check what that visit recorded: no console errors, no
request outside the local server, no missing file, every image loaded, the mathematics
typeset, no Jupyter widget (the experiments are flipbooks), every control of every live
experiment working (the figure changes and is the frame precomputed for the values), the
page weight within budget, no page wider than a phone's screen at 390 px, every internal
link and anchor resolving, and no critical accessibility violation (axe-core, on every
page). Notebook pages must offer their
.ipynb for download and the launch buttons configured in _config.yml; search must work.

Environment: SITE_AXE_TIMEOUT (seconds per page, default 600) bounds axe-core; SITE_AXE=0
skips the accessibility scan (quicker runs while working on something else).
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import site_browser as sb  # noqa: E402  (tools/site_browser.py)

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                    "(it is in requirements.txt: run `make setup`)")
pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed "
                    "(it is in requirements.txt: run `make setup`)")

SITE = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html").resolve()
AXE_TIMEOUT_S = float(os.environ.get("SITE_AXE_TIMEOUT", "600"))
RUN_AXE = os.environ.get("SITE_AXE", "1") not in ("0", "false", "no")

# Console errors that are tolerated, each with its reason: (regular expression, reason).
# None at present. Two were fixed in _config.yml instead: sphinx-thebe's duplicate
# `const THEBE_JS_URL` (the extension is left out) and the theme's "Got invalid theme mode"
# on a first visit (html_context.default_mode). Console *warnings* are not errors: the
# widget manager's JSON-schema validator (ajv) logs "strict mode: use allowUnionTypes ..."
# about its own schema on every widget page; it is harmless and not ours.
KNOWN_CONSOLE_ERRORS: list[tuple[str, str]] = []

# Critical axe-core violations that are tolerated for now, each with the page part it may
# occur on and why: (rule id, regular expression matched against the element's selector and
# HTML, reason). Each entry must still match something (test_known_axe_exceptions_are_needed
# fails otherwise), so an entry disappears as soon as its fix lands.
KNOWN_AXE_CRITICAL: list[tuple[str, str, str]] = []
# None at present. Three were fixed: the Play control's icon-only buttons and the figures of
# widget outputs get names in tools/widgets-setup.js, and the bibliography's entries become
# list items in tools/book_build.py.


def _pages() -> list[str]:
    if not (SITE / "index.html").is_file():
        return ["(no site)"]
    return sb.site_pages(SITE)


PAGES = _pages()
NOTEBOOK_PAGES = [p for p in PAGES
                  if (SITE / "_sources" / p).with_suffix(".ipynb").is_file()]


# --- the session: one server, one browser, one visit per page ------------------------------


class Session:
    def __init__(self, site: Path, origin: str, browser, context, traffic) -> None:
        self.site, self.origin, self.browser = site, origin, browser
        self.context, self.traffic = context, traffic
        self.reports: dict[str, sb.PageReport] = {}

    def report(self, page: str) -> sb.PageReport:
        """The visit of ``page`` (made on first use, then reused by every test)."""
        if page not in self.reports:
            self.reports[page] = sb.visit(self.context, self.origin, page,
                                          axe_timeout_s=AXE_TIMEOUT_S if RUN_AXE else None)
        return self.reports[page]


@pytest.fixture(scope="session")
def site() -> Path:
    if not SITE.is_dir():
        pytest.fail(f"The built site {SITE} does not exist. Build it first (`make book` builds "
                    "_build/html; `make test` builds and checks _build/strict/_build/html), or "
                    "point BOOK_HTML at a built site.", pytrace=False)
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no index.html: is it a built Jupyter Book site? "
                    "(BOOK_HTML must name the html folder, e.g. _build/html)", pytrace=False)
    return SITE


@pytest.fixture(scope="session")
def chromium(site: Path) -> str:
    path = sb.find_chromium()
    if path is None:
        reason = ("Chromium was not found, so the browser tests of the website were NOT run: "
                  "install it (Debian/Ubuntu: apt-get install chromium; .ci/run does) or set "
                  "CHROMIUM=/path/to/chromium")
        warnings.warn(reason, stacklevel=1)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def session(site: Path, chromium: str, request: pytest.FixtureRequest):
    from playwright.sync_api import sync_playwright

    with sb.serve(site) as origin, sync_playwright() as p:
        browser = sb.launch(p, chromium)
        context, traffic = sb.offline_context(browser, origin)
        s = Session(site, origin, browser, context, traffic)
        try:
            yield s
        finally:
            context.close()
            browser.close()
            _print_summary(request.config, s)


def _print_summary(config: pytest.Config, s: Session) -> None:
    """A table of the visits and axe-core's findings, printed at the end of the run."""
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is None or not s.reports:
        return
    _, version = sb.axe_source()
    in_netns = _network_namespace() != "the host's"
    tr.write_sep("-", "website in Chromium: pages, seconds, axe-core findings")
    network = ("none (own network namespace) + Chromium flags + request interception"
               if in_netns else "cut off by Chromium flags and request interception")
    tr.write_line(f"site {s.site}; network: {network}; axe-core {version}")
    tr.write_line(f"{'page':42} {'load s':>6} {'axe s':>6} {'crit':>4} {'ser':>4}  "
                  "critical / serious rules (nodes)")
    for page, r in s.reports.items():
        rules = ", ".join(f"{v['id']}({len(v['nodes'])})" for v in r.axe or []
                          if v["impact"] in ("critical", "serious"))
        axe = (f"{r.axe_count('critical'):>4} {r.axe_count('serious'):>4}" if r.axe is not None
               else f"{'-':>4} {'-':>4}")
        tr.write_line(f"{page:42} {r.seconds - r.axe_seconds:6.1f} {r.axe_seconds:6.1f} {axe}  "
                      f"{rules or r.axe_error or ''}")
    tr.write_line(f"total {sum(r.seconds for r in s.reports.values()):.0f} s in page visits; "
                  f"requests blocked by interception: {len(s.traffic.blocked)}")


def _network_namespace() -> str:
    try:
        mine, init = os.readlink("/proc/self/ns/net"), os.readlink("/proc/1/ns/net")
    except OSError:
        return "unknown"
    return "the host's" if mine == init else "its own"


def _page_param(page: str):
    return pytest.param(page, id=page)


# --- the browser has no network ------------------------------------------------------------


def test_browser_reaches_only_the_local_server(session: Session) -> None:
    """Self-test of the offline set-up: the launch flags alone stop a named host and a
    literal IP address, and interception stops (and records) anything else."""
    raw = session.browser.new_context()  # no interception: Chromium's flags only
    try:
        # A tab per attempt, closed with the context: with Chromium 156 and Playwright 1.65,
        # closing a tab whose last two navigations failed through the proxy never returns.
        for url in ("http://cdn.example.org/x.js", "http://93.184.215.14/"):
            page = raw.new_page()
            with pytest.raises(Exception, match=r"net::ERR_") as err:
                page.goto(url, timeout=30_000)
            assert "ERR_" in str(err.value), url
        page = raw.new_page()
        assert page.goto(f"{session.origin}/index.html").ok  # the local server is reachable
    finally:
        raw.close()
    page = session.context.new_page()
    try:
        sb.open_page(page, f"{session.origin}/index.html")
        n = len(session.traffic.blocked)
        failed = page.evaluate("""url => Promise.race([
                                    fetch(url, {mode: 'no-cors'}).then(() => false, () => true),
                                    new Promise(r => setTimeout(() => r('no answer'), 30000))])""",
                               "https://cdn.example.org/x.js")
        assert failed is True, f"a fetch of https://cdn.example.org/x.js: {failed!r}"
        assert session.traffic.blocked[n:] == ["https://cdn.example.org/x.js"]
    finally:
        page.close()


# --- every page ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_loads_without_errors(session: Session, page: str) -> None:
    r = session.report(page)
    assert r.status == 200, f"{page}: HTTP status {r.status}"
    errors = [e for e in r.console_errors
              if not any(re.search(rx, e) for rx, _ in KNOWN_CONSOLE_ERRORS)]
    assert not errors, (f"{page}: {len(errors)} console error(s) in the browser:\n  "
                        + "\n  ".join(errors))


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_requests_nothing_from_outside(session: Session, page: str) -> None:
    r = session.report(page)
    assert not r.external_requests, (
        f"{page} requested {len(r.external_requests)} URL(s) outside the site (the site must "
        "work offline; blocked in this test):\n  " + "\n  ".join(r.external_requests))
    assert not r.failed_requests, (f"{page}: files of the site that failed to load:\n  "
                                   + "\n  ".join(r.failed_requests))


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_images_load(session: Session, page: str) -> None:
    broken = [f"{i['src']} (alt={i['alt']!r})"
              for i in session.report(page).measures["images"] if not i["loaded"]]
    assert not broken, f"{page}: {len(broken)} image(s) did not load:\n  " + "\n  ".join(broken)


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_mathematics_is_typeset(session: Session, page: str) -> None:
    m = session.report(page).measures
    assert not m["untypeset_math"], (
        f"{page}: {len(m['untypeset_math'])} of {m['math_elements']} maths elements were not "
        "typeset by MathJax, e.g.:\n  " + "\n  ".join(m["untypeset_math"][:5]))
    if m["math_elements"]:
        assert m["mjx_containers"] >= m["math_elements"], f"{page}: MathJax output missing"
    assert not m["raw_tex"], (f"{page}: raw TeX is visible to readers:\n  "
                              + "\n  ".join(m["raw_tex"]))


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_loads_no_widget_manager(session: Session, page: str) -> None:
    """The experiments are flipbooks (book/live.py): no page carries Jupyter widgets, whose
    controls would move without changing anything, nor loads their 3.5 MB manager."""
    r = session.report(page)
    assert not r.measures["widget_views"], f"{page}: has Jupyter widget views"
    loaded = [u for u in r.requests if re.search(r"embed-amd|html-manager|require\.js", u)]
    assert not loaded, f"{page}: loads JavaScript it does not use: {loaded}"


def _live_pages() -> list[str]:
    return [p for p in PAGES if (SITE / p).is_file()
            and "nnb-live-data" in (SITE / p).read_text(encoding="utf-8")]


LIVE_PAGES = _live_pages()


def test_some_pages_have_live_experiments() -> None:
    if PAGES == ["(no site)"]:
        pytest.fail(f"no site at {SITE}")
    assert LIVE_PAGES, "no page of the site has a live experiment"


@pytest.mark.parametrize("page", [_page_param(p) for p in LIVE_PAGES])
def test_page_live_experiments_respond(session: Session, page: str) -> None:
    """Every control of every experiment, moved as a reader would (keyboard for sliders and
    check boxes, a choice in menus, Play): the figure changes at once and is the frame
    precomputed for the controls' values; nothing is logged to the console."""
    report = sb.PageReport(page)
    tab = session.context.new_page()
    try:
        sb.watch(tab, session.origin, report)
        sb.open_page(tab, f"{session.origin}/{page}")
        experiments, moves, problems = sb.exercise_experiments(tab)
    finally:
        tab.close()
    assert experiments >= 1 and moves >= experiments
    problems += [f"console: {e}" for e in report.console_errors]
    problems += [f"request failed: {e}" for e in report.failed_requests]
    assert not problems, f"{page}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_weight(session: Session, page: str) -> None:
    """A page's first load stays light: under 8 MB in all (what a chapter page weighed with
    the widget manager), of which at most 1 MB are experiment frames (the default figure and
    the neighbours preloaded for the next move); the other frames load when reached."""
    m = session.report(page).measures
    total = m["page_bytes"] + sum(r["bytes"] for r in m["resources"])
    frames = sum(r["bytes"] for r in m["resources"] if "/_live/" in r["url"])
    assert total < 8_000_000, f"{page}: first load {total / 1e6:.1f} MB"
    assert frames <= 1_000_000, f"{page}: {frames / 1e6:.2f} MB of frames on first load"


def test_live_frames_fit_the_budget(site: Path) -> None:
    """On disk: no experiment has more than 150 frames, and a page's frames stay under
    15 MB together."""
    root = site / "_live"
    assert root.is_dir() and any(root.rglob("*.png")), f"no experiment frames in {root}"
    pages: dict[Path, int] = {}
    for exp in {p.parent for p in root.rglob("*.png")}:
        files = list(exp.glob("*.png"))
        assert len(files) <= 150, f"{exp.relative_to(site)}: {len(files)} frames"
        pages[exp.parent] = pages.get(exp.parent, 0) + sum(p.stat().st_size for p in files)
    for page, size in pages.items():
        assert size < 15_000_000, f"{page.relative_to(site)}: {size / 1e6:.1f} MB of frames"


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_fits_a_phone(session: Session, page: str) -> None:
    """At 390 px (a phone), the page is not wider than the screen: long equations, code and
    tables scroll inside their own box, figures shrink to the column."""
    tab = session.context.new_page()
    try:
        tab.set_viewport_size({"width": 390, "height": 844})
        sb.open_page(tab, f"{session.origin}/{page}")
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        wide = tab.evaluate("""() => [...document.querySelectorAll('article *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                          && el.checkVisibility() && !el.closest('.highlight, .math, '
                          + 'mjx-container, table, .table-wrapper, .nnb-live-controls'))
            .slice(0, 5).map(el => el.tagName + '.' + el.className)""")
    finally:
        tab.close()
    assert width <= 391, f"{page}: {width} px wide at 390 px; overflowing: {wide}"


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_links_resolve(session: Session, page: str) -> None:
    """Every link into the site names a file that exists, and its #anchor an element id."""
    r = session.report(page)
    here = urlsplit(r.final_url).path.lstrip("/")
    problems = []
    for link in r.measures["links"]:
        parts = urlsplit(link["href"])
        if parts.scheme not in ("http", "https") or not sb.is_local(link["href"], session.origin):
            continue  # mailto:, javascript:, and links to other sites (not followed offline)
        target = unquote(parts.path).lstrip("/") or "index.html"
        if target.endswith("/"):
            target += "index.html"
        label = f"link {link['raw']!r} ({link['text']!r})"
        if not (session.site / target).is_file():
            problems.append(f"{label}: {target} does not exist")
            continue
        fragment = unquote(parts.fragment)
        if not fragment or not target.endswith(".html"):
            continue
        ids = (r.measures["ids"] if target == here
               else session.report(target).measures["ids"] if target in PAGES else None)
        if ids is not None and fragment not in ids:
            problems.append(f"{label}: {target} has no element with id {fragment!r}")
    assert not problems, (f"{page}: {len(problems)} broken internal link(s):\n  "
                          + "\n  ".join(sorted(set(problems))))


def test_sidebar_pages_are_all_visited(session: Session) -> None:
    """Every page the sidebar (the book's table of contents) lists is among the pages
    this suite visits, and the sidebar lists every chapter notebook."""
    listed = set()
    for page in PAGES:
        r = session.report(page)
        for link in r.measures["links"]:
            if link["sidebar"] and sb.is_local(link["href"], session.origin):
                listed.add(unquote(urlsplit(link["href"]).path).lstrip("/") or "index.html")
    missing = sorted(p for p in listed if p.endswith(".html") and p not in PAGES)
    assert listed, "no sidebar links found: has the theme's layout changed?"
    assert not missing, f"sidebar pages that were not visited: {missing}"
    unlisted = sorted(p for p in NOTEBOOK_PAGES if p not in listed)
    assert not unlisted, f"notebook pages missing from the sidebar: {unlisted}"


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_accessibility_no_critical_violations(session: Session, page: str) -> None:
    if not RUN_AXE:
        pytest.skip("SITE_AXE=0: accessibility scan switched off")
    r = session.report(page)
    assert r.axe_error is None, f"{page}: {r.axe_error} (set SITE_AXE_TIMEOUT to allow more)"
    problems = []
    for v in r.axe:
        if v["impact"] != "critical":
            continue
        for node in v["nodes"]:
            if not _known_axe(v["id"], node):
                problems.append(f"{v['id']}: {v['help']}\n      {node['target']}\n"
                                f"      {node['html']}")
    assert not problems, (f"{page}: {len(problems)} critical accessibility violation(s) "
                          "(axe-core):\n  " + "\n  ".join(problems))


def _known_axe(rule: str, node: dict) -> tuple[str, str, str] | None:
    for entry in KNOWN_AXE_CRITICAL:
        if entry[0] == rule and re.search(entry[1], node["target"] + " " + node["html"]):
            return entry
    return None


def test_known_axe_exceptions_are_needed(session: Session) -> None:
    """Each tolerated critical violation still occurs somewhere (else delete its entry)."""
    if not RUN_AXE:
        pytest.skip("SITE_AXE=0: accessibility scan switched off")
    scanned = [r for r in session.reports.values() if r.axe is not None]
    if len(scanned) < len(PAGES):
        pytest.skip("only meaningful when every page was scanned")
    used = {_known_axe(v["id"], n) for r in scanned for v in r.axe for n in v["nodes"]
            if v["impact"] == "critical"}
    stale = [e for e in KNOWN_AXE_CRITICAL if e not in used]
    assert not stale, ("these tolerated axe-core violations no longer occur; remove them from "
                       "KNOWN_AXE_CRITICAL in tests/site/test_site.py:\n  "
                       + "\n  ".join(f"{rule} ~ {rx}" for rule, rx, _ in stale))


# --- notebook pages: download and launch buttons -------------------------------------------


def _book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", [_page_param(p) for p in NOTEBOOK_PAGES])
def test_notebook_page_offers_its_ipynb(session: Session, page: str) -> None:
    """The download menu links to the page's .ipynb, and that notebook is served."""
    tab = session.context.new_page()
    try:
        tab.goto(f"{session.origin}/{page}")
        menu = tab.locator(".dropdown-download-buttons")
        menu.locator("button.dropdown-toggle").click()
        link = menu.locator('a[href$=".ipynb"]')
        assert link.count() == 1, f"{page}: the download menu has no .ipynb link"
        link.wait_for(state="visible", timeout=10_000)
        href = link.evaluate("a => a.href")
        response = tab.request.get(href)
        assert response.status == 200, f"{page}: {href} -> HTTP {response.status}"
        nb = json.loads(response.body())
        assert nb.get("nbformat") == 4 and nb.get("cells"), f"{href} is not a notebook"
        expected = page.removesuffix(".html") + ".ipynb"
        assert href.endswith("/_sources/" + expected), f"{page}: download link {href}"
    finally:
        tab.close()


@pytest.mark.parametrize("page", [_page_param(p) for p in NOTEBOOK_PAGES])
def test_notebook_page_launch_buttons_follow_config(session: Session, page: str) -> None:
    """Binder, Colab (and JupyterHub if set) open this notebook from the repository that
    _config.yml names: repository.url/branch and launch_buttons are the one place."""
    cfg = _book_config()
    repo = cfg["repository"]["url"].rstrip("/")
    branch = cfg["repository"].get("branch", "main")
    buttons = cfg.get("launch_buttons", {})
    org_repo = urlsplit(repo).path.strip("/")
    book_path = (cfg["repository"].get("path_to_book") or "").strip("/")
    nb = "/".join(p for p in (book_path, page.removesuffix(".html") + ".ipynb") if p)
    links = [link["href"] for link in session.report(page).measures["links"]]
    expected = {"repository button": repo}
    if buttons.get("binderhub_url"):
        expected["Binder"] = (f"{buttons['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/"
                              f"{branch}?urlpath=")
    if buttons.get("colab_url"):
        expected["Colab"] = (f"{buttons['colab_url'].rstrip('/')}/github/{org_repo}/blob/"
                             f"{branch}/{nb}")
    if buttons.get("jupyterhub_url"):
        hub = buttons["jupyterhub_url"].rstrip("/")
        expected["JupyterHub"] = f"{hub}/hub/user-redirect/git-pull"
    missing = [f"{name}: no link starting with {url}" for name, url in expected.items()
               if not any(h.startswith(url) and (name != "Binder" or h.endswith(nb))
                          for h in links)]
    assert not missing, f"{page}:\n  " + "\n  ".join(missing)
    if not buttons.get("jupyterhub_url"):
        assert not any("hub/user-redirect" in h for h in links), \
            f"{page}: a JupyterHub button although launch_buttons.jupyterhub_url is empty"


# --- search --------------------------------------------------------------------------------


def test_search_works_offline(session: Session) -> None:
    """Typing a word into the search page lists the pages that contain it."""
    tab = session.context.new_page()
    report = sb.PageReport("search.html")
    sb.watch(tab, session.origin, report)
    try:
        tab.goto(f"{session.origin}/search.html")
        box = tab.locator("#search-results").locator("xpath=..").locator("input[name=q]")
        box.fill("perceptron")
        box.press("Enter")
        tab.wait_for_url(re.compile(r"search\.html\?q=perceptron"), timeout=30_000)
        results = tab.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=60_000)
        hrefs = results.evaluate_all("links => links.map(a => a.href)")
        assert any("chapters/01_perceptron.html" in h for h in hrefs), (
            f"search for 'perceptron' did not list chapter 1; it listed: {hrefs}")
        assert not report.external_requests, report.external_requests
        assert not report.console_errors, report.console_errors
    finally:
        tab.close()
