"""The graded exercise sets (exercises/source): the checks of .dev/EXERCISES_BRIEF.md.

For every set, built with otter assign (in this process, into a temporary folder):

(a) the solutions get full marks on every question;
(b) the unmodified student notebook gets 0 on every question (no test passes on `...`);
(c) every typical wrong answer in tests/exercises/cases/<set>.py gets its expected points per
    question, and the feedback that grader.check shows contains its hint;
(d) the committed student notebook is byte for byte what `make exercises` makes now.

The notebooks are graded in process (tools/exercises.py, ``grade_in_process``: otter's own
grading calls without a Jupyter kernel); test_grading.py shows that the batch grader gives
the same points. The last section checks that each of these checks can fail.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


from exercises_tool import ex  # noqa: E402  (tests/exercises/exercises_tool.py)
# otter's notebook preprocessors declare traits the old way; not our warning to fix
pytestmark = pytest.mark.filterwarnings(
    "ignore:Traits should be given as instances:DeprecationWarning")
SETS = ex.list_sets()
CASES = [pytest.param(name, case, id=f"{name}-{case}")
         for name in SETS for case in ex.load_cases(name)]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """``built(name)``: the set, built once per session with otter assign (no kernel)."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = ex.build(name, tmp_path_factory.mktemp(f"build-{name}"),
                                   run_tests=False, in_process=True)
        return cache[name]

    return get


def test_there_are_exercise_sets():
    assert SETS, "exercises/source holds no NN_slug.ipynb source notebook"


# --- each set is complete and well formed ----------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_source_is_well_formed(name):
    problems = ex.lint_source(name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", SETS)
def test_set_has_its_page_cases_and_toc_entry(name):
    problems = []
    cases = ex.load_cases(name)
    if len(cases) < 4:
        problems.append(f"tests/exercises/cases/{name}.py has {len(cases)} typical wrong "
                        "answers; at least 4 are needed")
    page = ROOT / "exercises" / f"{name}.md"
    if not page.is_file():
        problems.append(f"exercises/{name}.md (the set's page) is missing")
    elif f"student/{name}.ipynb" not in page.read_text(encoding="utf-8"):
        problems.append(f"exercises/{name}.md does not link the student notebook "
                        f"(a {{download}} link to student/{name}.ipynb)")
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    if not re.search(rf"^\s*-\s*file:\s*exercises/{name}\s*$", toc, flags=re.M):
        problems.append(f"_toc.yml does not list exercises/{name} (under the Exercises part)")
    index = ROOT / "exercises" / "index.md"
    if index.is_file() and f"{name}" not in index.read_text(encoding="utf-8"):
        problems.append(f"exercises/index.md does not list the set {name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", SETS)
def test_set_depends_on_nnlib_only(name, built):
    """A student has the notebook and nnlib: no test or cell imports the book's package, and
    the autograder zip carries nnlib and the tests, nothing of book/."""
    b = built(name)
    source = (ROOT / "exercises" / "source" / f"{name}.ipynb").read_text(encoding="utf-8")
    assert not re.search(r"\bbook\.ch\d|from book\b|import book\b", source), (
        f"exercises/source/{name}.ipynb uses the book's package (book/): give the set what it "
        "needs itself")
    with zipfile.ZipFile(b.zip) as zf:
        names = zf.namelist()
    assert not [n for n in names if n.startswith("files/") and not n.startswith("files/nnlib/")]
    assert any(n.startswith("files/nnlib/") for n in names)
    for test in b.tests.glob("*.py"):
        assert "book" not in re.findall(r"^\s*(?:from|import) (\w+)", test.read_text(), re.M)


@pytest.mark.parametrize("name", SETS)
def test_questions_have_public_and_hidden_tests(name, built):
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    b = built(name)
    files = sorted(b.tests.glob("*.py"))
    problems = []
    if not 4 <= len(files) <= 8:
        problems.append(f"{name} has {len(files)} graded questions; a set has 4 to 8")
    for path in files:
        tf = create_test_file(str(path), NBMetadataConfig())
        hidden = sum(tc.hidden for tc in tf.test_cases)
        public = len(tf.test_cases) - hidden
        if public < 1 or hidden < 1:
            problems.append(f"{name} {tf.name}: {public} public and {hidden} hidden tests; "
                            "each question needs at least one of each")
    assert set(ex.answer_cells(b.student_notebook())) == {p.stem for p in files}, (
        "every graded question needs exactly one answer cell followed by its grader.check cell")
    assert not problems, "\n".join(problems)


# --- (d) (a) (b) (c) --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_student_notebook_is_up_to_date(name, built):
    problems = ex.check_up_to_date(built(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", SETS)
def test_solutions_get_full_marks(name, built):
    problems = ex.check_solutions(built(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", SETS)
def test_unanswered_student_notebook_gets_zero(name, built):
    problems = ex.check_student_scores_zero(built(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name, case", CASES)
def test_typical_wrong_answer(name, case, built):
    problems = ex.check_case(built(name), case, ex.load_cases(name)[case])
    assert not problems, "\n".join(problems)


# --- the pieces, and that every check can fail ---------------------------------------------------


def _notebook(cells, metadata=None):
    return {"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source, **metadata):
    return {"cell_type": "code", "id": f"t{abs(hash(source)) % 10**8}", "source": source,
            "metadata": metadata, "outputs": [], "execution_count": None}


def _raw(source):
    return {"cell_type": "raw", "source": source, "metadata": {}}


def _md(source):
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def write_source(folder: Path, name: str, *, solution: str, tests: list[str],
                 config: dict | None = None, grader: str | None = None) -> Path:
    """A one-question source notebook in otter-assign format (for the tests below)."""
    cfg = {"name": name, "init_cell": False, "export_cell": False, "check_all_cell": False,
           "solutions_pdf": False, "template_pdf": False,
           "tests": {"files": False, "ok_format": False}}
    cfg.update(config or {})
    cells = [
        _raw(ex.CONFIG_HEADER + "\n" + yaml.safe_dump(cfg, sort_keys=False)),
        _md("# A tiny set"),
        _code("import numpy as np\nimport nnlib\nrng = np.random.default_rng(0)"),
        _code(grader if grader is not None else ex.GRADER_CELL.replace("{name}", name)),
        _raw("# BEGIN QUESTION\nname: q1\npoints: 2"),
        _md("Write `double(x)`."),
        _raw("# BEGIN SOLUTION"),
        _code(solution),
        _raw("# END SOLUTION"),
        _raw("# BEGIN TESTS"),
        *[_code(t) for t in tests],
        _raw("# END TESTS"),
        _raw("# END QUESTION"),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"c{i:03d}"
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                             "language": "python"}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(_notebook(cells, kernel)), encoding="utf-8")
    return path


DOUBLE = "def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION"
PUBLIC = ("def test_double(double):\n"
          "    assert double(3) == 6, f'double(3) should be 6, got {double(3)}'")
HIDDEN = ("# HIDDEN\ndef test_double_array(double):\n    import numpy as np\n"
          "    assert np.array_equal(double(np.arange(3)), [0, 2, 4]), 'arrays'")
VACUOUS = "# HIDDEN\ndef test_nothing(double):\n    assert True"


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-source")
    write_source(folder, "90_tiny", solution=DOUBLE, tests=[PUBLIC, HIDDEN])
    return folder


@pytest.fixture(scope="module")
def tiny(tiny_source, tmp_path_factory):
    """A one-question set built from a temporary source folder."""
    return ex.build("90_tiny", tmp_path_factory.mktemp("tiny-build"), run_tests=False,
                    in_process=True, source_dir=tiny_source)


def test_grade_in_process_scores_and_feedback(tiny):
    solved = ex.grade_in_process(json.loads(tiny.solution.read_text()), tiny.tests)
    assert (solved["q1"].score, solved["q1"].possible) == (2.0, 2.0)
    wrong = ex.with_answers(tiny.student_notebook(), {"q1": "def double(x):\n    return x + 2"})
    r = ex.grade_in_process(wrong, tiny.tests)["q1"]
    # double(3) = 5 fails the public test; [2, 3, 4] fails the hidden one
    assert r.score == 0.0
    assert "double(3) should be 6, got 5" in r.public_feedback
    assert "arrays" in r.feedback and "arrays" not in r.public_feedback
    # a cell that raises or never ends is recorded and skipped, like otter's ignore_errors
    nb = ex.with_answers(tiny.student_notebook(), {"q1": "def double(x):\n    return 2 * x"})
    nb["cells"].insert(1, _code("raise RuntimeError('boom')"))
    nb["cells"].insert(1, _code("while True:\n    pass"))
    r = ex.grade_in_process(nb, tiny.tests, cell_timeout=1.0)["q1"]
    assert r.score == 2.0


def test_grade_in_process_refuses_to_leave_nnlib_switched_off(tiny):
    """own() switches nnlib's functions off by swapping their code; a test that forgets to put
    one back (set 15 did, for a method two classes share) would break every later cell and
    test in the process. The check restores it and says which."""
    from nnlib.normalization import GroupNorm

    before = GroupNorm.forward.__code__
    nb = ex.with_answers(tiny.student_notebook(), {"q1": "def double(x):\n    return 2 * x"})
    nb["cells"].insert(1, _code("from nnlib.normalization import GroupNorm\n"
                                "GroupNorm.forward.__code__ = (lambda self, x: x).__code__"))
    with pytest.raises(ex.LibraryLeftChanged, match="_PerExampleGroupNorm.forward replaced"):
        ex.grade_in_process(nb, tiny.tests)
    assert GroupNorm.forward.__code__ is before


def test_check_solutions_fails_when_a_solution_is_wrong(tmp_path):
    src = tmp_path / "src"
    write_source(src, "91_wrong", solution=DOUBLE.replace("2 * x", "3 * x"),
                 tests=[PUBLIC, HIDDEN])
    b = ex.build("91_wrong", tmp_path / "b", run_tests=False, in_process=True, source_dir=src)
    problems = ex.check_solutions(b)
    assert len(problems) == 1 and "the solution gets 0 of 2" in problems[0]


def test_check_student_zero_finds_a_vacuous_test(tmp_path):
    src = tmp_path / "src"
    write_source(src, "92_vacuous", solution=DOUBLE, tests=[PUBLIC, VACUOUS])
    b = ex.build("92_vacuous", tmp_path / "b", run_tests=False, in_process=True, source_dir=src)
    problems = ex.check_student_scores_zero(b)
    assert len(problems) == 1 and "passes on the `...` placeholder" in problems[0]


def test_check_case_fails_on_wrong_points_or_missing_hint(tiny):
    case = {"answers": {"q1": "def double(x):\n    return x + 2"},
            "expected": {"q1": 0.0}, "hint": {"q1": "double(3) should be 6"}}
    assert ex.check_case(tiny, "ok", case) == []
    wrong_points = dict(case, expected={"q1": 1.0})
    assert "q1 got 0 points, expected 1" in ex.check_case(tiny, "p", wrong_points)[0]
    wrong_hint = dict(case, hint={"q1": "a hint nobody wrote"})
    assert "does not contain 'a hint nobody wrote'" in ex.check_case(tiny, "h", wrong_hint)[0]
    hidden_only = dict(case, hint={"q1": "arrays"})   # in the hidden feedback only
    assert ex.check_case(tiny, "x", hidden_only)
    unlisted = dict(case, expected={})
    assert "`expected` must give the points" in ex.check_case(tiny, "u", unlisted)[0]
    leaked = dict(case, absent={"q1": ["got 5"]})          # the public message shows it
    assert "which it must not show" in ex.check_case(tiny, "a", leaked)[0]
    assert ex.check_case(tiny, "a", dict(case, absent={"q1": ["the answer is 6"]})) == []


def test_check_case_fails_when_a_test_crashes_instead_of_saying_why(tmp_path):
    src = tmp_path / "src"
    crashing = ("# HIDDEN\ndef test_double_list(double):\n"
                "    assert float(double([1, 2])) == 0, 'never reached'")
    write_source(src, "96_crash", solution=DOUBLE, tests=[PUBLIC, crashing])
    b = ex.build("96_crash", tmp_path / "b", run_tests=False, in_process=True, source_dir=src)
    case = {"answers": {"q1": "def double(x):\n    return 2 * x"},
            "expected": {"q1": 1.0}, "hint": {"q1": "All test cases passed"}}
    problems = ex.check_case(b, "c", case)
    assert any("ended in TypeError instead of a sentence" in p for p in problems), problems


def test_check_up_to_date_fails_on_a_stale_notebook(tiny, tmp_path):
    assert "is missing" in ex.check_up_to_date(tiny, tmp_path)[0]
    (tmp_path / "90_tiny.ipynb").write_bytes(tiny.student)
    assert ex.check_up_to_date(tiny, tmp_path) == []
    (tmp_path / "90_tiny.ipynb").write_bytes(tiny.student.replace(b"A tiny set", b"A small set"))
    assert "out of date" in ex.check_up_to_date(tiny, tmp_path)[0]


def test_build_is_deterministic(tiny, tiny_source, tmp_path):
    again = ex.build("90_tiny", tmp_path, run_tests=False, in_process=True,
                     source_dir=tiny_source)
    assert again.student == tiny.student


def test_normalise_student_strips_what_varies():
    nb = _notebook([_code("x = 1", tags=["otter_answer_cell"], execution={"t": "2026"}),
                    _md("text")],
                   {"kernelspec": {"name": "python3"}, "otter": {"assignment_name": "x"},
                    "language_info": {"version": "3.11.9", "name": "python"},
                    "widgets": {"state": {}}})
    nb["cells"][0].update(id="3f9a1c", outputs=[{"output_type": "stream", "name": "stdout",
                                                  "text": "1\n"}], execution_count=4)
    out = json.loads(ex.normalise_student(nb))
    cell = out["cells"][0]
    assert cell["id"] == "cell-000" and cell["outputs"] == [] and cell["execution_count"] is None
    assert cell["metadata"] == {"tags": ["otter_answer_cell"]}
    assert set(out["metadata"]) == {"kernelspec", "language_info", "otter"}
    assert out["metadata"]["language_info"] == {"name": "python"}
    assert ex.normalise_student(nb) == ex.normalise_student(json.loads(json.dumps(nb)))


def test_answer_cells_needs_one_answer_cell_per_question():
    tag = {"tags": ["otter_answer_cell"]}
    good = _notebook([_code("a = ...", **tag), _code('grader.check("q1")'),
                      _md("text"), _code("b = ...", **tag), _code("grader.check('q2')")])
    assert ex.answer_cells(good) == {"q1": 0, "q2": 3}
    two = _notebook([_code("a = ...", **tag), _code("b = ...", **tag),
                     _code('grader.check("q1")')])
    with pytest.raises(ex.ToolError, match="question q1 has 2 answer cells"):
        ex.answer_cells(two)


def test_lint_source_catches_the_known_traps(tmp_path):
    assert ex.lint_source("93_good", source_dir=_write_lint(tmp_path / "a", "93_good")) == []
    bad = _write_lint(tmp_path / "b", "94_bad", config={"init_cell": True, "export_cell": True,
                                                       "tests": {"ok_format": True}},
                      grader='import otter\ngrader = otter.Notebook("94_bad.ipynb")')
    problems = "\n".join(ex.lint_source("94_bad", source_dir=bad))
    for text in ("`init_cell: false`", "`export_cell: false`", "`tests: ok_format: false`",
                 "`tests: files: false`", "exactly the grader cell"):
        assert text in problems
    renamed = _write_lint(tmp_path / "c", "95_named", config={"name": "something_else"})
    assert "`name: 95_named`" in ex.lint_source("95_named", source_dir=renamed)[0]


def _write_lint(folder, name, config=None, grader=None):
    write_source(folder, name, solution=DOUBLE, tests=[PUBLIC], config=config, grader=grader)
    return folder
