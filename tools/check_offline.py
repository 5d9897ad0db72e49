"""Check that a built site loads nothing from outside itself (run by ``make test``).

Usage: ``python tools/check_offline.py _build/html``

For every HTML page, each resource the browser fetches by itself (scripts, stylesheets,
icons, images, frames, media, preload/preconnect hints) must be a relative URL to a file that
exists in the site. Every CSS file is checked the same way for ``url(...)`` and
``@import``. Ordinary links (``<a href>``) are not fetches and are not checked. This is a
static check; the browser tests (tests/site/test_site.py) watch real requests.

Exit status 0 if the site is self-contained, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# tag -> attributes whose URL the browser fetches without a click
FETCHING = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
# <link rel=...> values that make the browser fetch or connect
FETCHING_LINK_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut",
    "apple-touch-icon", "manifest", "dns-prefetch", "preconnect", "mask-icon",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (description, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        names: tuple[str, ...] = FETCHING.get(tag, ())
        if tag == "link" and FETCHING_LINK_RELS & set(a.get("rel", "").lower().split()):
            names = ("href",)
        for name in names:
            if name not in a:
                continue
            values = [a[name]]
            if name == "srcset":
                values = [part.strip().split()[0] for part in a[name].split(",") if part.strip()]
            for value in values:
                self.urls.append((f"<{tag} {name}>", value))


def _problem(site: Path, page: Path, what: str, url: str) -> str | None:
    """Return a description of the problem with ``url`` found in ``page``, or None."""
    url = url.strip()
    if not url or url.startswith(("data:", "blob:", "#", "about:")):
        return None
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//"):
        return f"{page.relative_to(site)}: {what} loads an external URL {url}"
    if url.startswith("/"):
        return (f"{page.relative_to(site)}: {what} uses a root-absolute URL {url} "
                "(breaks when the site is served under a sub-path)")
    target = (page.parent / unquote(parts.path)).resolve()
    if not target.is_relative_to(site.resolve()):
        return f"{page.relative_to(site)}: {what} points outside the site: {url}"
    if not target.is_file():
        return f"{page.relative_to(site)}: {what} points to a missing file: {url}"
    return None


def check_site(site: Path) -> list[str]:
    """Return the list of problems found in the site at ``site`` (empty if none)."""
    problems: list[str] = []
    # _static/ holds the themes' Jinja templates (*.html with {{ ... }}), which are not pages.
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)
    if not pages:
        return [f"{site}: no HTML pages found; was the book built?"]
    for page in pages:
        collector = _Collector()
        collector.feed(page.read_text(encoding="utf-8", errors="replace"))
        for what, url in collector.urls:
            if (p := _problem(site, page, what, url)) is not None:
                problems.append(p)
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments are not fetched
        for m in CSS_URL.finditer(text):
            url = m.group(1) or m.group(2)
            if (p := _problem(site, css, "CSS url()", url)) is not None:
                problems.append(p)
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    site = Path(argv[1])
    problems = check_site(site)
    for p in problems:
        print(p)
    if problems:
        print(f"check_offline: {len(problems)} problem(s) in {site}: the site must work offline.")
        return 1
    n = sum(1 for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)
    print(f"check_offline: {n} pages in {site} load only files from the site itself.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
