"""The batch grader (`make grade`, tools/exercises.py grade) on generated submissions.

A folder of submissions to the first exercise set is graded for real, with ``otter run`` and
Jupyter kernels: a correct one, a partial one, one whose answer raises, one with a syntax
error, one that loops forever (and leaves a background process behind), one that calls
``os._exit(1)``, one that prints 20 MB, one that is not JSON, one from another set, an
otter-exported zip, and a file that is not a submission. Each must get its row with the right
status, and where it is graded, the points that the in-process grading of
tests/exercises/test_exercises.py gives the same notebook (so the two gradings agree).

The endless loop is graded in a batch of its own with a short timeout: 20 s, or more on a
machine so busy that a normal grading took longer than that (the loop must be reached before
the timeout for the test to see what it started). The others get a generous timeout, so that a
slow machine cannot turn them into timeouts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


from exercises_tool import ex  # noqa: E402  (tests/exercises/exercises_tool.py)
SET = "01_perceptron" if "01_perceptron" in ex.list_sets() else None
pytestmark = [
    pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning"),
    pytest.mark.skipif(SET is None, reason="exercise set 01_perceptron is not in this checkout"),
    pytest.mark.skipif(not Path("/proc/self/environ").exists(),
                       reason="the process checks read /proc (Linux)"),
]

LOOP_TIMEOUT = 20.0       # seconds, for the endless loop's batch (at least)
GENEROUS_TIMEOUT = 600.0  # the other batch: only a hung grader would reach it


def _code(source: str) -> dict:
    return {"cell_type": "code", "id": f"x{abs(hash(source)) % 10**8}", "metadata": {},
            "source": source, "outputs": [], "execution_count": None}


def _insert(nb: dict, index: int, source: str) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["cells"].insert(index, _code(source))
    return nb


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Build the set, write the submissions, grade them; return everything the tests need."""
    tmp = tmp_path_factory.mktemp("grading")
    b = ex.build(SET, tmp / "build", run_tests=False, in_process=True)
    solution, student = ex.read_notebook(b.solution), b.student_notebook()
    answers = {q: ex.cell_source(solution["cells"][i])
               for q, i in ex.solution_cells(solution).items()}
    questions = list(answers)
    first, second = questions[0], questions[1]
    after_setup = 3                 # markdown, setup cell, grader cell: then the questions
    full = ex.with_answers(student, answers)

    notebooks = {
        "correct.ipynb": solution,
        "partial.ipynb": ex.with_answers(student, {first: answers[first]}),
        "raises.ipynb": ex.with_answers(student, {**answers,
                                                  first: 'raise ValueError("my bug")'}),
        "syntax_error.ipynb": ex.with_answers(student, {**answers,
                                                        second: "def broken(:\n    pass"}),
        "os_exit.ipynb": _insert(full, after_setup, "import os\nos._exit(1)"),
        "megabytes.ipynb": _insert(full, after_setup,
                                   "for _ in range(20):\n    print('x' * 1_000_000)"),
    }
    other = json.loads(json.dumps(full))
    other["metadata"]["otter"]["assignment_name"] = "99_another_set"
    notebooks["another_set.ipynb"] = other

    subs = tmp / "submissions"
    subs.mkdir()
    for name, nb in notebooks.items():
        (subs / name).write_text(json.dumps(nb), encoding="utf-8")
    (subs / "not_json.ipynb").write_text('{"cells": [ this is not json', encoding="utf-8")
    with zipfile.ZipFile(subs / "exported.zip", "w") as zf:
        zf.writestr("my notebook.ipynb", json.dumps(full))
    (subs / "notes.txt").write_text("not a submission\n", encoding="utf-8")

    pids = tmp / "pids"
    loop_dir = tmp / "loop"
    loop_dir.mkdir()
    loop = _insert(full, after_setup, (
        "import os, subprocess\n"
        "sleeper = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        f"with open({str(pids)!r}, 'w') as f:\n"
        "    f.write(f'{os.getpid()} {sleeper.pid}')\n"
        "while True:\n"
        "    pass"))
    (loop_dir / "endless_loop.ipynb").write_text(json.dumps(loop), encoding="utf-8")

    before = _digest(subs)
    messages = []
    rows = ex.grade_folder(SET, subs, jobs=2, timeout=GENEROUS_TIMEOUT,
                           out=tmp / "scores.csv", autograder=b.zip, log=messages.append)
    slowest = max(r.seconds for r in rows if r.status == "graded")
    loop_timeout = max(LOOP_TIMEOUT, round(1.5 * slowest))
    loop_rows = ex.grade_folder(SET, loop_dir, jobs=1, timeout=loop_timeout,
                                out=tmp / "loop.csv", autograder=b.zip, log=messages.append)
    expected = {name: ex.grade_in_process(nb, b.tests)
                for name, nb in notebooks.items() if name != "os_exit.ipynb"}
    expected["exported.zip"] = ex.grade_in_process(full, b.tests)
    return {
        "rows": {r.file: r for r in rows}, "order": [r.file for r in rows],
        "loop": loop_rows[0], "loop_timeout": loop_timeout, "pids": pids, "csv": tmp / "scores.csv",
        "expected": expected, "questions": questions, "before": before, "after": _digest(subs),
        "subs": subs, "log": messages, "first": first, "second": second,
    }


def points(row) -> dict[str, float]:
    return dict(row.points)


def expected_points(batch, name) -> dict[str, float]:
    return {q: r.score for q, r in batch["expected"][name].items()}


def test_one_row_per_submission_in_file_order(batch):
    assert batch["order"] == ["another_set.ipynb", "correct.ipynb", "exported.zip",
                              "megabytes.ipynb", "not_json.ipynb", "os_exit.ipynb",
                              "partial.ipynb", "raises.ipynb", "syntax_error.ipynb"]
    assert any("notes.txt" in line for line in batch["log"]), "the skipped file is reported"


def test_submitted_files_are_never_modified(batch):
    assert batch["after"] == batch["before"]


def test_correct_submission_gets_full_marks(batch):
    row = batch["rows"]["correct.ipynb"]
    assert row.status == "graded" and row.message == ""
    assert row.total == row.possible == sum(r.possible for r in
                                            batch["expected"]["correct.ipynb"].values())


@pytest.mark.parametrize("name", ["correct.ipynb", "partial.ipynb", "raises.ipynb",
                                  "syntax_error.ipynb", "megabytes.ipynb", "exported.zip"])
def test_otter_run_agrees_with_in_process_grading(batch, name):
    row = batch["rows"][name]
    assert row.status == "graded", row.message
    assert points(row) == expected_points(batch, name)


def test_partial_raising_and_broken_submissions_lose_the_right_points(batch):
    rows, first, second = batch["rows"], batch["first"], batch["second"]
    partial = points(rows["partial.ipynb"])
    assert partial[first] > 0 and all(v == 0 for q, v in partial.items() if q != first)
    raises = points(rows["raises.ipynb"])
    assert raises[first] == 0 and sum(raises.values()) > 0
    broken = points(rows["syntax_error.ipynb"])
    assert broken[second] == 0 and broken[first] > 0


def test_endless_loop_times_out_and_everything_it_started_is_killed(batch):
    row, timeout = batch["loop"], batch["loop_timeout"]
    assert row.status == "timeout"
    assert f"{timeout:g} s" in row.message and row.total == 0
    assert timeout <= row.seconds < timeout + 60
    assert batch["pids"].is_file(), "the endless loop was never reached before the timeout"
    kernel, sleeper = (int(p) for p in batch["pids"].read_text().split())
    assert not _alive(kernel), "the kernel of the timed-out submission is still running"
    assert not _alive(sleeper), "a process the submission started is still running"


def test_os_exit_is_a_crash(batch):
    row = batch["rows"]["os_exit.ipynb"]
    assert row.status == "crashed" and row.total == 0
    assert "kernel died" in row.message


def test_megabytes_of_output_stay_out_of_the_table(batch):
    assert batch["rows"]["megabytes.ipynb"].status == "graded"
    assert batch["csv"].stat().st_size < 4000


@pytest.mark.parametrize("name, text", [("not_json.ipynb", "not valid JSON"),
                                        ("another_set.ipynb", "exercise set 99_another_set")])
def test_invalid_notebooks(batch, name, text):
    row = batch["rows"][name]
    assert row.status == "invalid notebook" and row.total == 0
    assert text in row.message


def test_the_csv(batch):
    with open(batch["csv"], newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["file", *batch["questions"], "total", "max", "status", "message"]
    assert [r[0] for r in table[1:]] == batch["order"]
    for r in table[1:]:
        assert r[-2] in ex.STATUSES
        assert len(r[-1]) <= ex.MESSAGE_CAP and "\n" not in r[-1]
        assert float(r[-4]) == sum(float(x) for x in r[1:-4])


def test_the_tool_refuses_with_one_sentence(batch, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["grade", SET, str(empty)], "holds no .ipynb or .zip files"),
        (["grade", SET, str(tmp_path / "missing")], "does not exist"),
        (["grade", "00_no_such_set", str(batch["subs"])], "there is no exercise set named"),
        (["grade", "", str(batch["subs"])], "name the exercise set"),
    ]
    for argv, text in cases:
        assert ex.main(argv) == 2
        err = capsys.readouterr().err
        assert text in err and err.count("\n") == 1, err


def test_kill_tree_kills_a_detached_process(tmp_path):
    import subprocess
    import uuid

    token = uuid.uuid4().hex
    proc = subprocess.Popen(["sleep", "600"], env=ex.grading_env(token), start_new_session=True)
    try:
        assert proc.pid in ex._token_pids(token)
        assert ex.kill_tree(None, token) == 1
        proc.wait(timeout=10)
        assert not ex._token_pids(token)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert os.getpid() not in ex._token_pids(token)
