"""The batch grader (`make grade`: tools/grading.py, tools/grading_runner.py) on real submissions.

One folder of submissions to exercise set 5 is graded in one run, two at a time, as an
instructor would: well-behaved notebooks (correct, partial, raising, broken, IPython magics,
megabytes of output, nbformat 3, an otter zip export, an LMS download with one sub-folder per
student and equal file names), files that are not submissions, and one hostile notebook for
every kind of tampering of issue 13 (patching otter, numpy or the builtins, rewriting or
reading the test files, reading the test's frame, a patch made during a test, starting a
process that escapes, writing outside its folder, the network, threads, forged results,
killing the grader, garbage-collector and trace hooks, too much memory). Every row must have
the right status, the well-behaved ones the points that the in-process grading of
tests/exercises/test_exercises.py gives the same notebook (the two gradings agree), and every
hostile one 0 points or the status ``flagged``, never plain points.

Two smaller runs go alongside: an endless loop that starts a process in a new session with an
empty environment (``timeout``, and nothing it started survives), and a few notebooks without
the sandbox (``--sandbox none``), where tampering is still flagged and the grader says that
there is no sandbox. The sandbox's own guarantees (no writes outside the folder, no network)
are checked where bubblewrap works (CI installs it).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from exercises_tool import ex  # noqa: E402  (tests/exercises/exercises_tool.py)

grading = ex.grading
SET = "05_backprop" if "05_backprop" in ex.list_sets() else None
SANDBOX = grading.sandbox_status("auto")[0]
pytestmark = [
    pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning"),
    pytest.mark.skipif(SET is None, reason="exercise set 05_backprop is not in this checkout"),
    pytest.mark.skipif(not Path("/proc/self/environ").exists(),
                       reason="the grader's process checks read /proc (Linux)"),
]
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason="bubblewrap cannot run here")

MEMORY_MB = 1024           # the limit of the main run: the memory hog asks for 8 GB
GENEROUS_TIMEOUT = 300.0   # only a hung grader would reach it
LOOP_TIMEOUT = 30.0        # the endless loop's run (alongside the main run: no wall time added)


def _code(source: str) -> dict:
    return {"cell_type": "code", "id": f"x{abs(hash(source)) % 10**8}", "metadata": {},
            "source": source, "outputs": [], "execution_count": None}


def _insert(nb: dict, index: int, source: str) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["cells"].insert(index, _code(source))
    return nb


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _running(argument: str) -> list[int]:
    """Live processes with this command-line argument (e.g. a sleep's unique duration)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = entry.joinpath("cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argument.encode() in args and _alive(int(entry.name)):
                pids.append(int(entry.name))
    return pids


def _digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


class _Listener:
    """A TCP server on 127.0.0.1 that records whether anything connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.done = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.done = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The graded batch; the folder outside the submissions is removed afterwards."""
    import shutil

    data = _grade_the_batch(tmp_path_factory)
    yield data
    shutil.rmtree(data["outside"], ignore_errors=True)


def _grade_the_batch(tmp_path_factory):
    """Build set 5, write the submissions, grade them; everything the tests look at."""
    tmp = tmp_path_factory.mktemp("grading")
    b = ex.build(SET, tmp / "build", run_tests=False, in_process=True)
    solution, student = ex.read_notebook(b.solution), b.student_notebook()
    answers = {q: ex.cell_source(solution["cells"][i])
               for q, i in ex.solution_cells(solution).items()}
    questions = list(answers)
    full = ex.with_answers(student, answers)
    top = 3                        # markdown, setup, grader cell: then the questions
    q7_cell = ex.answer_cells(full)["q7"]

    outside = Path(tempfile.mkdtemp(prefix="grading-outside-", dir="/var/tmp"
                                    if Path("/var/tmp").is_dir() else None))
    (outside / "keep.txt").write_text("original\n")
    (outside / "delete_me.txt").write_text("x\n")
    listener = _Listener()
    zip_path = b.zip.resolve()
    source_file = ex.source_path(SET).resolve()
    decoy = zip_path.parent / "decoy_test.py"      # beside the autograder: the grader's files
    decoy.write_text("def test():\n    pass\n")
    protected = [zip_path, source_file, decoy]
    # without a sandbox only the refusal of the audit hook protects the files it tries to
    # rewrite: then it aims at the decoy, never at the repository's source
    targets = [zip_path, source_file, decoy] if SANDBOX else [decoy]

    good = {
        "correct.ipynb": full,
        "partial.ipynb": ex.with_answers(student, {"q1": answers["q1"]}),
        "raises.ipynb": ex.with_answers(student, {**answers, "q1": 'raise ValueError("bug")'}),
        "syntax_error.ipynb": ex.with_answers(student, {**answers, "q2": "def broken(:\n    pass"}),
        "magics.ipynb": _insert(_insert(full, top, "%matplotlib inline"), top,
                                "!echo hello\n%time x = 1"),
        "megabytes.ipynb": _insert(full, top, "for _ in range(20):\n    print('x' * 1_000_000)"),
        "lms/alice/notebook.ipynb": ex.with_answers(student, {"q7": answers["q7"]}),
        "crashes_late.ipynb": _insert(full, q7_cell, "import os\nos._exit(1)"),
        "lms/bob/notebook.ipynb": full,
    }
    hostile = {
        # patching otter's test-calling method (it no longer grades anything, and is flagged)
        "hostile/otter_patch.ipynb": _insert(student, top, (
            "import otter.test_files.exception_test as et\n"
            "et.test_case.call_func = lambda self, env: None")),
        # rewriting the test files: the instructor's copies, and any test folder nearby
        "hostile/rewrite_tests.ipynb": _insert(student, top, (
            "import glob, os\n"
            f"for f in {[str(t) for t in targets]!r} + glob.glob('**/tests/*.py', "
            "recursive=True):\n"
            "    try:\n"
            "        open(f, 'wb').write(b'')\n"
            "    except OSError:\n"
            "        pass")),
        # numpy's comparisons replaced: every test passes, before the fix 9 of 18
        "hostile/numpy_patch.ipynb": _insert(student, top, (
            "import numpy as np\n"
            "np.allclose = lambda *a, **k: True\n"
            "np.isclose = lambda *a, **k: True\n"
            "np.array_equal = lambda *a, **k: True")),
        # reading a hidden test to reuse its reference code
        "hostile/read_hidden.ipynb": _insert(student, top, (
            "try:\n"
            f"    stolen = open({str(source_file)!r}).read()\n"
            "except OSError:\n"
            "    stolen = None")),
        "hostile/builtins_patch.ipynb": _insert(student, top, (
            "import builtins\n"
            "builtins.callable = lambda x: True\n"
            "builtins.isinstance = lambda *a: True")),
        # the expected value read off the test's frame
        "hostile/frame_peek.ipynb": ex.with_answers(full, {"q1": (
            "import sys\n"
            "def linear_backward(X, W, delta):\n"
            "    return sys._getframe(1).f_locals.get('want')")}),
        # numpy patched by the answer while a test runs: the canary fails to fail
        "hostile/patch_in_test.ipynb": ex.with_answers(student, {"q1": (
            "def linear_backward(X, W, delta):\n"
            "    import numpy as np\n"
            "    np.allclose = lambda *a, **k: True\n"
            "    return X, W, delta")}),
        # a child in a new session with an empty environment
        "hostile/process_escape.ipynb": _insert(full, top, (
            "import subprocess\n"
            "subprocess.Popen(['sleep', '987654'], start_new_session=True, env={})")),
        # create, change and delete files outside its folder
        "hostile/write_outside.ipynb": _insert(full, top, (
            "import os\n"
            f"for name, mode in [('new.txt', 'w'), ('keep.txt', 'a')]:\n"
            "    try:\n"
            f"        open(os.path.join({str(outside)!r}, name), mode).write('pwned')\n"
            "    except OSError:\n"
            "        pass\n"
            "try:\n"
            f"    os.remove(os.path.join({str(outside)!r}, 'delete_me.txt'))\n"
            "except OSError:\n"
            "    pass")),
        "hostile/network.ipynb": _insert(full, top, (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {listener.port}), timeout=2).close()\n"
            "except OSError:\n"
            "    pass")),
        "hostile/thread_left.ipynb": _insert(full, top, (
            "import threading, time\n"
            "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()")),
        # forged answers written to every file descriptor
        "hostile/fake_result.ipynb": _insert(student, top, (
            "import os\n"
            "fake = repr({'t': 'result', 'nonce': '', 'answers': {}}).encode()\n"
            "for fd in range(3, 64):\n"
            "    try:\n"
            "        os.write(fd, len(fake).to_bytes(4, 'big') + fake)\n"
            "    except OSError:\n"
            "        pass")),
        "hostile/kill_supervisor.ipynb": _insert(full, top, (
            "import os, signal\n"
            "os.kill(os.getppid(), signal.SIGKILL)")),
        "hostile/gc_hunt.ipynb": _insert(full, top, "import gc\nobjects = gc.get_objects()"),
        "hostile/settrace.ipynb": _insert(full, top, "import sys\nsys.settrace(lambda *a: None)"),
        # more memory than the limit
        "hostile/memory_hog.ipynb": _insert(full, top, "import numpy as np\nbig = np.ones(10**9)"),
    }
    subs = tmp / "submissions"
    for name, nb in {**good, **hostile}.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_text(json.dumps(nb), encoding="utf-8")
    import nbformat
    v3 = nbformat.writes(nbformat.convert(nbformat.from_dict(full), 3))
    (subs / "nbformat3.ipynb").write_text(v3, encoding="utf-8")
    with zipfile.ZipFile(subs / "exported.zip", "w") as zf:
        zf.writestr("my notebook.ipynb", json.dumps(full))
    (subs / "not_json.ipynb").write_text('{"cells": [ this is not json', encoding="utf-8")
    other = json.loads(json.dumps(full))
    other["metadata"]["otter"]["assignment_name"] = "99_another_set"
    (subs / "another_set.ipynb").write_text(json.dumps(other), encoding="utf-8")
    (subs / "notes.txt").write_text("not a submission\n", encoding="utf-8")
    (subs / ".ipynb_checkpoints").mkdir()
    (subs / ".ipynb_checkpoints" / "correct-checkpoint.ipynb").write_text(json.dumps(full))

    # the endless loop, and a few notebooks without the sandbox: alongside the main run
    loop_dir, plain_dir = tmp / "loop", tmp / "plain"
    loop_dir.mkdir()
    plain_dir.mkdir()
    (loop_dir / "endless_loop.ipynb").write_text(json.dumps(_insert(full, top, (
        "import subprocess, time\n"
        "sleeper = subprocess.Popen(['sleep', '987655'], start_new_session=True, env={})\n"
        "while True:\n"
        "    time.sleep(0.05)"))), encoding="utf-8")
    for name in ("numpy_patch", "frame_peek"):
        (plain_dir / f"{name}.ipynb").write_text(json.dumps(hostile[f"hostile/{name}.ipynb"]))
    (plain_dir / "rewrite_decoy.ipynb").write_text(json.dumps(_insert(student, top, (
        "for f in [" + repr(str(decoy)) + ", '/var/tmp/nnlib-grading-test-never.txt']:\n"
        "    try:\n"
        "        open(f, 'w').write('pwned')\n"
        "    except OSError:\n"
        "        pass"))))
    (plain_dir / "correct.ipynb").write_text(json.dumps(full))
    (plain_dir / "process_escape.ipynb").write_text(json.dumps(_insert(full, top, (
        "import subprocess\n"
        "subprocess.Popen(['sleep', '987656'], start_new_session=True, env={})"))))

    before = _digest(protected + [p for p in subs.rglob("*") if p.is_file()])
    logs = {"main": [], "loop": [], "plain": []}
    results = {}

    def run(key, folder, **options):
        results[key] = ex.grade_folder(SET, folder, out=tmp / f"{key}.csv", autograder=b.zip,
                                       log=logs[key].append, **options)

    side = [threading.Thread(target=run, args=("loop", loop_dir),
                             kwargs={"jobs": 1, "timeout": LOOP_TIMEOUT}),
            threading.Thread(target=run, args=("plain", plain_dir),
                             kwargs={"jobs": 1, "timeout": GENEROUS_TIMEOUT,
                                     "sandbox": "none"})]
    for t in side:
        t.start()
    try:
        run("main", subs, jobs=2, timeout=GENEROUS_TIMEOUT, memory_mb=MEMORY_MB)
    finally:
        for t in side:
            t.join()
        listener.close()
    expected = {name: ex.grade_in_process(nb, b.tests) for name, nb in good.items()
                if name != "crashes_late.ipynb"}       # os._exit would end this process
    expected["nbformat3.ipynb"] = expected["exported.zip"] = expected["correct.ipynb"]
    return {
        "rows": {r.file: r for r in results["main"]}, "order": [r.file for r in results["main"]],
        "loop": results["loop"][0], "plain": {r.file: r for r in results["plain"]},
        "logs": logs, "csv": tmp / "main.csv", "expected": expected,
        "questions": questions, "before": before,
        "after": _digest(protected + [p for p in subs.rglob("*") if p.is_file()]),
        "outside": outside, "listener": listener, "subs": subs,
    }


def points(row) -> dict[str, float]:
    return dict(row.points)


def expected_points(batch, name) -> dict[str, float]:
    return {q: r.score for q, r in batch["expected"][name].items()}


# --- no lost submission ------------------------------------------------------------------------


def test_every_file_has_one_row_named_by_its_path(batch):
    order = batch["order"]
    assert len(order) == len(set(order))
    assert "lms/alice/notebook.ipynb" in order and "lms/bob/notebook.ipynb" in order
    assert ".ipynb_checkpoints/" in order and "notes.txt" in order
    files = {p.relative_to(batch["subs"]).as_posix() for p in batch["subs"].rglob("*")
             if p.is_file() and ".ipynb_checkpoints" not in p.parts}
    assert files <= set(order), files - set(order)


def test_skipped_files_say_why(batch):
    rows = batch["rows"]
    assert rows["notes.txt"].status == "skipped" and "not a notebook" in rows["notes.txt"].message
    checkpoints = rows[".ipynb_checkpoints/"]
    assert checkpoints.status == "skipped" and "automatic copies" in checkpoints.message
    assert any("notes.txt" in line for line in batch["logs"]["main"])


def test_sub_folders_with_equal_file_names_stay_apart(batch):
    rows = batch["rows"]
    alice, bob = rows["lms/alice/notebook.ipynb"], rows["lms/bob/notebook.ipynb"]
    assert alice.status == bob.status == "graded"
    assert points(alice) == expected_points(batch, "lms/alice/notebook.ipynb")
    assert bob.total == bob.possible and alice.total < bob.total


def test_nbformat_3_is_converted_and_graded(batch):
    row = batch["rows"]["nbformat3.ipynb"]
    assert row.status == "graded" and row.total == row.possible
    assert "converted from nbformat 3" in row.message


def test_submitted_files_and_the_instructors_files_are_never_modified(batch):
    assert batch["after"] == batch["before"]


# --- the batch grader agrees with the in-process grading -----------------------------------------


@pytest.mark.parametrize("name", ["correct.ipynb", "partial.ipynb", "raises.ipynb",
                                  "syntax_error.ipynb", "magics.ipynb", "megabytes.ipynb",
                                  "lms/bob/notebook.ipynb", "exported.zip"])
def test_points_agree_with_the_in_process_grading(batch, name):
    row = batch["rows"][name]
    assert row.status == "graded", row.message
    assert points(row) == expected_points(batch, name)


def test_a_crash_keeps_the_points_checked_before_it(batch):
    row = batch["rows"]["crashes_late.ipynb"]
    assert row.status == "crashed" and "ended with exit code 1" in row.message
    assert points(row) == {**expected_points(batch, "correct.ipynb"), "q7": 0.0}


def test_the_correct_notebook_gets_full_marks_and_no_note(batch):
    row = batch["rows"]["correct.ipynb"]
    assert row.status == "graded" and row.message == "" and row.total == row.possible == 18


@pytest.mark.parametrize("name, text", [("not_json.ipynb", "not valid JSON"),
                                        ("another_set.ipynb", "exercise set 99_another_set")])
def test_invalid_notebooks(batch, name, text):
    row = batch["rows"][name]
    assert row.status == "invalid notebook" and row.total == 0 and text in row.message


def test_megabytes_of_output_stay_out_of_the_table(batch):
    assert batch["rows"]["megabytes.ipynb"].status == "graded"
    assert batch["csv"].stat().st_size < 20000


def test_the_csv(batch):
    with open(batch["csv"], newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["file", *batch["questions"], "total", "max", "status", "message"]
    assert [r[0] for r in table[1:]] == batch["order"]
    for r in table[1:]:
        assert r[-2] in grading.STATUSES
        assert len(r[-1]) <= grading.MESSAGE_CAP and "\n" not in r[-1]
        assert float(r[-4]) == sum(float(x) for x in r[1:-4])


# --- no silent cheating -----------------------------------------------------------------------

HOSTILE_FLAGS = {
    "otter_patch": "otter.test_files",
    "rewrite_tests": "opened the grader's file",
    "numpy_patch": "numpy.allclose was replaced",
    "read_hidden": "opened the grader's file",
    "builtins_patch": "builtins.callable was replaced",
    "frame_peek": "frame introspection",
    "patch_in_test": "canary",
    "process_escape": "started a process",
    "write_outside": "outside its folder",
    "network": "used the network",
    "fake_result": "",
    "kill_supervisor": "killed",
    "gc_hunt": "gc.get_objects",
    "settrace": "sys.settrace",
}


@pytest.mark.parametrize("name, reason", sorted(HOSTILE_FLAGS.items()))
def test_tampering_is_flagged_never_plain_points(batch, name, reason):
    row = batch["rows"][f"hostile/{name}.ipynb"]
    assert row.status == "flagged", (row.status, row.total, row.message)
    assert row.message.startswith("flagged for a person to look at: ")
    assert reason in row.message, row.message


@pytest.mark.parametrize("name", ["otter_patch", "rewrite_tests", "numpy_patch", "read_hidden",
                                  "builtins_patch", "patch_in_test", "fake_result",
                                  "kill_supervisor"])
def test_tampering_that_answers_nothing_gets_nothing(batch, name):
    assert batch["rows"][f"hostile/{name}.ipynb"].total == 0


def test_a_process_started_in_a_new_session_with_an_empty_environment_ends(batch):
    assert not _running("987654"), "a process the submission started is still running"
    assert not _running("987656"), "the same, without the sandbox"


def test_threads_of_the_notebook_end_before_the_tests(batch):
    row = batch["rows"]["hostile/thread_left.ipynb"]
    assert row.status == "graded" and row.total == row.possible


def test_memory_limit_is_named(batch):
    row = batch["rows"]["hostile/memory_hog.ipynb"]
    assert row.status == "graded" and row.total == row.possible
    assert f"ran out of memory (MemoryError; the limit is {MEMORY_MB} MB" in row.message


@needs_sandbox
def test_the_sandbox_keeps_the_files_outside_as_they_were(batch):
    outside = batch["outside"]
    assert sorted(p.name for p in outside.iterdir()) == ["delete_me.txt", "keep.txt"]
    assert (outside / "keep.txt").read_text() == "original\n"


@needs_sandbox
def test_the_sandbox_has_no_network(batch):
    assert batch["listener"].connections == 0


@needs_sandbox
def test_the_grader_says_it_uses_the_sandbox(batch):
    assert batch["logs"]["main"][0].startswith("sandbox: bubblewrap")


# --- the endless loop; no sandbox ----------------------------------------------------------------


def test_endless_loop_times_out_and_everything_it_started_ends(batch):
    row = batch["loop"]
    assert row.total == 0
    assert row.status == "flagged" and "started a process" in row.message   # the sleeper
    assert f"cell 3 was still running after {LOOP_TIMEOUT:g} s" in row.message
    assert not _running("987655"), "a process that the submission started is still running"


def test_without_the_sandbox_the_grader_says_so_flags_and_refuses(batch):
    logs, rows = batch["logs"]["plain"], batch["plain"]
    assert logs[0].startswith("no sandbox")
    assert any(line.startswith("no sandbox") for line in logs[-3:]), "said again at the end"
    assert rows["correct.ipynb"].status == "graded"
    assert rows["correct.ipynb"].total == rows["correct.ipynb"].possible
    assert "numpy.allclose was replaced" in rows["numpy_patch.ipynb"].message
    assert "frame introspection" in rows["frame_peek.ipynb"].message
    assert rows["process_escape.ipynb"].status == "flagged"
    decoy = rows["rewrite_decoy.ipynb"]
    assert decoy.status == "flagged" and "opened the grader's file" in decoy.message
    assert "outside its folder" in decoy.message
    assert not Path("/var/tmp/nnlib-grading-test-never.txt").exists(), "written without sandbox"


# --- the command line --------------------------------------------------------------------------


def test_the_tool_refuses_with_one_sentence(batch, tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "notes.txt").write_text("x")
    cases = [
        (["grade", SET, str(empty)], "holds no .ipynb or .zip files, also in its sub-folders"),
        (["grade", SET, str(tmp_path / "missing")], "does not exist"),
        (["grade", "00_no_such_set", str(batch["subs"])], "there is no exercise set named"),
        (["grade", "", str(batch["subs"])], "name the exercise set"),
        (["grade", SET, str(batch["subs"]), "--memory", "-1"], "--memory must be"),
    ]
    for argv, text in cases:
        assert ex.main(argv) == 2
        err = capsys.readouterr().err
        assert text in err and err.count("\n") == 1, err


def test_kill_tree_kills_a_detached_process():
    import subprocess
    import uuid

    token = uuid.uuid4().hex
    env = dict(os.environ, NNLIB_GRADING_TOKEN=token)
    proc = subprocess.Popen(["sleep", "600"], env=env, start_new_session=True)
    try:
        assert proc.pid in grading._token_pids(token)
        assert grading.kill_tree(None, token) >= 1
        proc.wait(timeout=10)
        assert not grading._token_pids(token)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert os.getpid() not in grading._token_pids(token)
