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
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

MODES = ("auto", "cache", "force", "inline", "off")
_FOOTNOTE_DEF = re.compile(r"^(\s*)\.\. \[([A-Za-z0-9_-]+)\]")
_FOOTNOTE_REF = re.compile(r"\[([A-Za-z0-9_-]+)\]_")


def _unique_footnotes(app: Sphinx, what: str, name: str, obj: object, options: object,
                      lines: list[str]) -> None:
    """Rename ``[1]_`` / ``.. [1]`` in one docstring to labels unique to ``name``."""
    labels = {m.group(2) for line in lines if (m := _FOOTNOTE_DEF.match(line))}
    if not labels:
        return
    prefix = "ref-" + hashlib.sha1(name.encode()).hexdigest()[:10] + "-"

    def new_def(m: re.Match) -> str:
        return f"{m.group(1)}.. [#{prefix}{m.group(2)}]" if m.group(2) in labels else m.group(0)

    def new_ref(m: re.Match) -> str:
        return f"[#{prefix}{m.group(1)}]_" if m.group(1) in labels else m.group(0)

    for i, line in enumerate(lines):
        lines[i] = _FOOTNOTE_REF.sub(new_ref, _FOOTNOTE_DEF.sub(new_def, line))


def _apply_environment(app: Sphinx, config: Config) -> None:
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


def setup(app: Sphinx) -> dict:
    # priority 900: after myst-nb and Jupyter Book have registered their settings.
    app.connect("config-inited", _apply_environment, priority=900)
    app.connect("autodoc-process-docstring", _unique_footnotes)
    app.connect("html-page-context", _citations_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
