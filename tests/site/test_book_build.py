"""tools/book_build.py: the live experiments' frames leave the page for files."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import book_build  # noqa: E402

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()
PNG2 = "data:image/png;base64," + base64.b64encode(b"\x89PNG other").decode()


def test_frames_and_layers_are_written_to_files_and_the_page_points_at_them(tmp_path):
    spec = {"name": "demo", "frames": {"1": {"src": PNG, "alt": "a",
                                              "layers": {"x": PNG2}},
                                       "2": {"src": PNG2, "alt": "b"}}}
    body = ('<div class="nnb-live"><img class="nnb-live-img" width="1" src="' + PNG + '">'
            '<img class="nnb-live-layer" data-option="x" src="' + PNG2 + '">'
            '<script type="application/json" class="nnb-live-data">' + json.dumps(spec)
            + '</script></div>')
    added = []
    app = SimpleNamespace(outdir=str(tmp_path), add_js_file=added.append,
                          add_css_file=added.append)
    context = {"body": body}
    book_build._live_pages(app, "chapters/demo", "page.html", context, None)
    page = context["body"]
    assert "data:image" not in page
    folder = tmp_path / "_live" / "chapters" / "demo" / "demo"
    assert sorted(p.name for p in folder.iterdir()) == ["0-0.png", "0.png", "1.png"]
    assert (folder / "0.png").read_bytes() == b"\x89PNG fake"
    data = json.loads(re.search(r'nnb-live-data">(.*?)</script>', page).group(1))
    assert data["frames"]["1"]["src"] == "../_live/chapters/demo/demo/0.png"
    assert data["frames"]["1"]["layers"]["x"] == "../_live/chapters/demo/demo/0-0.png"
    assert 'class="nnb-live-img" width="1" src="../_live/chapters/demo/demo/0.png"' in page
    assert added == ["live.js", "live.css"]


def test_pages_without_experiments_get_no_script():
    added = []
    app = SimpleNamespace(outdir="/nonexistent", add_js_file=added.append,
                          add_css_file=added.append)
    context = {"body": "<p>text</p>"}
    book_build._live_pages(app, "intro", "page.html", context, None)
    assert context["body"] == "<p>text</p>" and added == []


def test_chapter_sentences_leave_see_also_for_their_own_section():
    """napoleon reads every line of "See Also" as a Python name; the book's chapter
    references move to an "In the book" section, names stay."""
    doc = ["Summary.", "", "See Also", "--------", "SGD, Adam : other rules.",
           "Chapter 9 (Optimisation) derives", "    these rules.", "", "Examples", "--------",
           ">>> 1", "1"]
    book_build._chapters_out_of_see_also(None, "function", "f", None, None, doc)
    assert doc[2:12] == ["See Also", "--------", "SGD, Adam : other rules.", "",
                         "In the book", "-----------",
                         "Chapter 9 (Optimisation) derives these rules.", "",
                         "Examples", "--------"]
    only_names = ["See Also", "--------", "fit : the loop."]
    book_build._chapters_out_of_see_also(None, "function", "f", None, None, only_names)
    assert only_names == ["See Also", "--------", "fit : the loop."]


def test_docstring_footnotes_are_unique_and_never_orphans():
    lines = ["Rectified linear unit.", "", "Uses [2]_.", "", ".. rubric:: References", "",
             ".. [1] V. Nair.", ".. [2] K. Jarrett."]
    book_build._unique_footnotes(None, "function", "nnlib.functional.relu", None, None, lines)
    prefix = re.search(r"\[#(ref-\w+-)2\]_", lines[2]).group(1)
    assert lines[0] == f"Rectified linear unit. [#{prefix}1]_"     # cited from the summary
    assert lines[6] == f".. [#{prefix}1] V. Nair." and lines[7].startswith(f".. [#{prefix}2]")
