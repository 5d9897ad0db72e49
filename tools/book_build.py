"""A small Sphinx extension for this book's build (loaded from ``_config.yml``).

1. Execution mode from the environment.  ``_config.yml`` says ``execute_notebooks: cache``
   (fast local rebuilds).  Jupyter Book 1 has no command-line switch to change it, so the
   Makefile sets ``BOOK_EXECUTE=force`` in CI and for ``make test``: the execution cache keys
   on the code cells only, so a changed nnlib would not invalidate it.  Valid values are
   myst-nb's modes: ``auto``, ``cache``, ``force``, ``inline``, ``off``.
2. Numbered references in docstrings.  numpydoc docstrings cite papers as ``[1]_`` with
   ``.. [1] ...`` under References.  On the API reference page many docstrings share one
   document, so those labels would clash ("Duplicate explicit target name").  Each label is
   renamed to an auto-numbered footnote unique to its object (``[#ref-<hash>-1]_``), which
   is what the numpydoc extension does too; the page shows them as numbered footnotes.
3. Offline assets.  MathJax, require.js and the ipywidgets HTML manager are served from the
   site (``_vendor/``, filled by ``make vendor``).  A build without them would produce pages
   that silently lack mathematics and widgets, so it stops with one sentence instead.
4. Bibliography entries as list items.  docutils writes a list of citations as
   ``<div role="list">`` of ``<div role="doc-biblioentry">``; ARIA 1.2 deprecated that role,
   and a list whose children are not list items is a critical accessibility violation
   (axe-core's aria-required-children, checked by tests/site/test_site.py).  Each entry's role
   becomes ``listitem``.
5. Live experiments (``book/live.py``).  The kernels that execute the chapters get
   ``NNBOOK_BUILD=1`` in their environment, so every experiment renders its frames and shows
   itself as a flipbook (HTML) instead of a widget.  When a page is written, the frames' images
   (data URIs in the flipbook's JSON) are written to ``_live/<page>/<experiment>/<n>.png`` and
   the JSON points at those files, so the page itself stays light and the images load when a
   control reaches them; the page gets ``live.js`` and ``live.css`` (and only pages with an
   experiment do).
6. Figures at full size: every image of a figure (the files in ``_images/``) becomes a link to
   itself, so that a phone reader can tap it and read small labels.
7. Markup that renders both here and in JupyterLab (jupyterlab-myst), rewritten in each
   notebook's text before it is parsed (``source-read``):

   - a figure's caption is the markdown cell right after the code cell that draws it, starting
     with a target line ``(label)=`` and ``**Figure.**``; it becomes that cell's
     ``mystnb.figure`` caption and name (a numbered, referable figure), and the cell goes;
   - ``[Figure](#label)`` becomes ``{numref}`label``` ("Figure 3");
   - ``[Rosenblatt (1958)](#cite-rosenblatt1958)`` becomes ``{cite:t}`rosenblatt1958```, and a
     link text without the parenthesised year, ``[Rosenblatt, 1958](#cite-rosenblatt1958)``,
     becomes ``{cite:alp}`` (author and year, for use inside parentheses).

   JupyterLab shows the caption under the figure and the links with their text; the book shows
   numbered figures and citations linked to the bibliography.
8. ``{eval}`` after a cell that ends with ``;``. myst-nb evaluates an expression with
   ``store_history=False``; IPython then decides whether to show the result by looking at
   the last cell in its history, and if that cell ended with a semicolon (as cells that
   draw a figure often do) it shows nothing, so the expression "does not return any
   outputs". The expression is evaluated with ``store_history=True`` instead (jupyterlab-myst
   is not affected: it evaluates expressions as user expressions).
9. Docstrings' "See Also" sections often name the chapter that derives a function
   ("Chapter 9 (Optimisation) compares ..."). napoleon parses every line of that section as
   a Python name, which turned such sentences into broken links; they are moved into an
   "In the book" section of their own (``napoleon_custom_sections`` in ``_config.yml``),
   before napoleon reads the docstring, and real names stay in "See Also".
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

MODES = ("auto", "cache", "force", "inline", "off")
ROOT = Path(__file__).resolve().parent.parent
LIVE_STATIC = ROOT / "book" / "static"
BUILD_ENV = "NNBOOK_BUILD"   # book.live.BUILD_ENV (not imported: keep the build free of nnlib)
_FOOTNOTE_DEF = re.compile(r"^(\s*)\.\. \[([A-Za-z0-9_-]+)\]")
_FOOTNOTE_REF = re.compile(r"\[([A-Za-z0-9_-]+)\]_")


def _unique_footnotes(app: Sphinx, what: str, name: str, obj: object, options: object,
                      lines: list[str]) -> None:
    """Rename ``[1]_`` / ``.. [1]`` in one docstring to labels unique to ``name`` (and cite
    the references no sentence cites from the summary line)."""
    labels = {m.group(2) for line in lines if (m := _FOOTNOTE_DEF.match(line))}
    if not labels:
        return
    prefix = "ref-" + hashlib.sha1(name.encode()).hexdigest()[:10] + "-"

    def new_def(m: re.Match) -> str:
        return f"{m.group(1)}.. [#{prefix}{m.group(2)}]" if m.group(2) in labels else m.group(0)

    def new_ref(m: re.Match) -> str:
        return f"[#{prefix}{m.group(1)}]_" if m.group(1) in labels else m.group(0)

    referenced = {m.group(1) for line in lines for m in _FOOTNOTE_REF.finditer(line)}
    for i, line in enumerate(lines):
        lines[i] = _FOOTNOTE_REF.sub(new_ref, _FOOTNOTE_DEF.sub(new_def, line))
    # A reference no sentence cites (a docstring that only lists its source) is cited from
    # the summary line, so that the footnote has a number to go to and is not an orphan.
    orphans = sorted(labels - referenced)
    if orphans and lines and lines[0].strip():
        lines[0] = lines[0].rstrip() + " " + " ".join(f"[#{prefix}{k}]_" for k in orphans)


def _apply_environment(app: Sphinx, config: Config) -> None:
    os.environ[BUILD_ENV] = "1"   # inherited by the kernels that execute the chapters
    static = str(LIVE_STATIC)
    if static not in config.html_static_path:
        config.html_static_path.append(static)
    mode = os.environ.get("BOOK_EXECUTE", "").strip()
    if mode:
        if mode not in MODES:
            raise ConfigError(
                f"BOOK_EXECUTE must be one of {', '.join(MODES)}; got {mode!r}."
            )
        config.nb_execution_mode = mode

    # Every local file the pages load from the vendored folder must exist.
    # Their paths in _config.yml are relative to the site's _static/ folder ("../vendor/...").
    paths = [config.mathjax_path, *config.nb_ipywidgets_js]
    vendored = [p.removeprefix("../") for p in paths if "://" not in p]
    missing = []
    for rel in vendored:
        # html_extra_path copies the *contents* of each listed folder to the site root.
        if not any((Path(app.confdir) / extra / rel).is_file() for extra in config.html_extra_path):
            missing.append(rel)
    if missing:
        raise ConfigError(
            f"The offline assets {', '.join(missing)} are missing; run `make vendor` "
            "(or `make book`, which runs it) before building the book."
        )


def _citations_as_list_items(app: Sphinx, pagename: str, templatename: str, context: dict,
                             doctree: object) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


# --- live experiments: frames out of the page, scripts only where needed ---------------------
_LIVE_DATA = re.compile(r'(<script type="application/json" class="nnb-live-data">)(.*?)(</script>)',
                        re.S)
_LIVE_IMG = re.compile(r'(<img class="nnb-live-(?:img|layer)"[^>]*? src=")'
                       r'(data:image/png;base64,[^"]+)(")')


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _live_pages(app: Sphinx, pagename: str, templatename: str, context: dict,
                doctree: object) -> None:
    body = context.get("body")
    if body and "application/vnd.jupyter.widget-view+json" in body:
        from sphinx.errors import ExtensionError

        raise ExtensionError(f"{pagename}: the page has Jupyter widgets, whose controls do "
                             f"nothing on the website; show the experiment with book.live "
                             f"(an Experiment is a flipbook there).")
    if not body or "nnb-live-data" not in body:
        return
    up = "../" * pagename.count("/")
    replaced: dict[str, str] = {}

    def frames_to_files(m: re.Match) -> str:
        spec = json.loads(m.group(2).replace("<\\/", "</"))
        folder = Path("_live") / pagename / spec["name"]
        def to_file(src: str, name: str) -> str:
            if not src.startswith("data:image/png;base64,"):
                return src
            rel = (folder / name).as_posix()
            _write_if_changed(Path(app.outdir) / rel, base64.b64decode(src.split(",", 1)[1]))
            replaced[src] = up + rel
            return up + rel

        for i, (_key, frame) in enumerate(sorted(spec["frames"].items())):
            frame["src"] = to_file(frame["src"], f"{i}.png")
            for j, (option, src) in enumerate(sorted(frame.get("layers", {}).items())):
                frame["layers"][option] = to_file(src, f"{i}-{j}.png")
        payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
        return m.group(1) + payload + m.group(3)

    body = _LIVE_DATA.sub(frames_to_files, body)
    body = _LIVE_IMG.sub(lambda m: m.group(1) + replaced.get(m.group(2), m.group(2))
                         + m.group(3), body)
    context["body"] = body
    app.add_js_file("live.js")
    app.add_css_file("live.css")


# --- figures a reader can open at full size (phones) -----------------------------------------
_OUTPUT_IMG = re.compile(r'<img (?P<attrs>[^>]*?src="(?P<src>(?:\.\./)*_images/[^"]+)"[^>]*?)/?>')


def _zoomable_figures(app: Sphinx, pagename: str, templatename: str, context: dict,
                      doctree: object) -> None:
    """Wrap every image of the book's figures (files in _images/) in a link to itself, so
    that on a phone a tap opens it at full size."""
    body = context.get("body")
    if not body or "_images/" not in body:
        return

    def wrap(m: re.Match) -> str:
        start = body.rfind("<", 0, m.start())
        if body.startswith("<a ", start):     # already a link: leave it alone
            return m.group(0)
        return (f'<a class="nnb-zoom" href="{m.group("src")}" title="Open the figure at full '
                f'size">{m.group(0)}</a>')

    context["body"] = _OUTPUT_IMG.sub(wrap, body)


# --- markup that renders in the book and in JupyterLab ---------------------------------------
_TARGET_LINE = re.compile(r"^\((?P<label>[A-Za-z0-9_-]+)\)=[ \t]*\n")
_FIGURE_LINK = re.compile(r"\[Figure\]\(#(?P<label>[A-Za-z0-9_-]+)\)")
_CITE_LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\(#cite-(?P<key>[A-Za-z0-9_:-]+)\)")
_CAPTION_START = "**Figure.**"


class MarkupError(ValueError):
    """A caption cell that does not follow a code cell, or a malformed caption."""


def rewrite_markdown(text: str) -> str:
    """Figure links and citation links of one markdown cell, as Sphinx roles."""
    text = _FIGURE_LINK.sub(lambda m: "{numref}`" + m.group("label") + "`", text)

    def cite(m: re.Match) -> str:
        role = "cite:t" if re.search(r"\(\d{4}[a-z]?\)$", m.group("text").strip()) else "cite:alp"
        return "{" + role + "}`" + m.group("key") + "`"

    return _CITE_LINK.sub(cite, text)


def rewrite_notebook(nb: dict, source: str = "notebook") -> dict:
    """Caption cells into figure metadata, and every markdown cell through
    :func:`rewrite_markdown`. Returns the notebook (changed in place)."""
    cells = nb.get("cells", [])
    out = []
    for cell in cells:
        text = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            m = _TARGET_LINE.match(text)
            rest = text[m.end():].lstrip() if m else ""
            if m and rest.startswith(_CAPTION_START):
                prev = out[-1] if out else None
                if prev is None or prev.get("cell_type") != "code":
                    raise MarkupError(f"{source}: the caption of figure {m.group('label')!r} "
                                      f"must directly follow the code cell that draws it.")
                caption = rewrite_markdown(rest[len(_CAPTION_START):].strip())
                meta = prev.setdefault("metadata", {}).setdefault("mystnb", {})
                meta["figure"] = {"name": m.group("label"), "caption": caption}
                continue
            cell["source"] = rewrite_markdown(text)
        out.append(cell)
    nb["cells"] = out
    return nb


def _rewrite_source(app: Sphinx, docname: str, source: list[str]) -> None:
    path = app.env.doc2path(docname)
    if not str(path).endswith(".ipynb"):
        if str(path).endswith(".md"):
            source[0] = rewrite_markdown(source[0])
        return
    nb = json.loads(source[0])
    source[0] = json.dumps(rewrite_notebook(nb, str(path)), ensure_ascii=False)


_SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")
_NAME_ENTRY = re.compile(r"^\s*[\w.~`:]+(\s*,\s*[\w.~`:]+)*\s*(:(\s.*)?)?$")


def _chapters_out_of_see_also(app: Sphinx, what: str, name: str, obj: object,
                              options: object, lines: list[str]) -> None:
    """Item 9 of the module docstring (runs before napoleon)."""
    for start, line in enumerate(lines[:-1]):
        if line.strip() == "See Also" and _SECTION_RULE.match(lines[start + 1]):
            break
    else:
        return
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 2
    while end < len(lines):
        if end + 1 < len(lines) and lines[end].strip() and _SECTION_RULE.match(lines[end + 1]) \
                and len(lines[end]) - len(lines[end].lstrip()) == indent:
            break
        end += 1
    names, book, current = [], [], None
    for line in lines[start + 2:end]:
        if not line.strip():
            continue
        level = len(line) - len(line.lstrip())
        if level <= indent:                     # a new entry
            current = names if _NAME_ENTRY.match(line) else book
        (current if current is not None else names).append(line)
    if not book:
        return
    pad = " " * indent
    text = " ".join(line.strip() for line in book)
    new = []
    if names:
        new += [lines[start], lines[start + 1], *names, ""]
    new += [pad + "In the book", pad + "-" * len("In the book"), pad + text, ""]
    lines[start:end] = new


def _patch_eval_history() -> None:
    """Item 8 of the module docstring: evaluate {eval} expressions into IPython's history."""
    from myst_nb.core.execute import inline
    from nbclient.client import run_sync

    client = inline.ModifiedNotebookClient
    if getattr(client, "_nnbook_patched", False):
        return
    original = client.async_eval_expression

    async def async_eval_expression(self, name):
        execute = self.kc.execute

        def execute_into_history(code, *args, **kwargs):
            kwargs["store_history"] = True
            return execute(code, *args, **kwargs)

        self.kc.execute = execute_into_history
        try:
            return await original(self, name)
        finally:
            self.kc.execute = execute

    client.async_eval_expression = async_eval_expression
    client.eval_expression = run_sync(async_eval_expression)
    client._nnbook_patched = True


def setup(app: Sphinx) -> dict:
    _patch_eval_history()
    # priority 900: after myst-nb and Jupyter Book have registered their settings.
    app.connect("config-inited", _apply_environment, priority=900)
    app.connect("autodoc-process-docstring", _chapters_out_of_see_also, priority=100)
    app.connect("autodoc-process-docstring", _unique_footnotes)
    app.connect("html-page-context", _citations_as_list_items)
    app.connect("html-page-context", _live_pages)
    app.connect("html-page-context", _zoomable_figures)
    app.connect("source-read", _rewrite_source)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
