"""The batch grader of the exercise sets: ``make grade`` (tools/exercises.py grade).

One CSV row for every file under the submissions folder, sub-folders included, named by its
path relative to the folder: each notebook (``.ipynb``, also in nbformat 3, or an
otter-exported ``.zip``) is graded, everything else is listed as skipped with the reason.

Each submission is graded by tools/grading_runner.py, in a sandbox where bubblewrap works
(``bwrap``: no network, read-only file system except its own temporary folder, the book's
repository, the submissions and the autograder hidden, every process it starts killed with
it), else without one (the command says so on every run). The runner executes the notebook's
cells, takes a checkpoint at every ``grader.check`` cell, and only when the notebook has
ended gets the tests, which this module reads from the instructor's autograder zip and sends
through a pipe; see that file's docstring for how tampering is detected. Points per test case
are otter's own (the zip's test files, parsed by otter), so a row's points are what ``otter
run`` gives the same notebook when the notebook plays fair (tests/exercises/test_grading.py
checks it against the in-process grading).

Statuses: ``graded``; ``flagged`` (the notebook did something a person should look at: the
message says what; its points are what the tests gave); ``timeout`` and ``crashed`` (the
questions checked before the notebook stopped keep their points); ``invalid notebook``;
``skipped`` (not a submission).
"""

from __future__ import annotations

import ast
import contextlib
import csv
import dataclasses
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "grading_runner.py"

STATUSES = ("graded", "flagged", "timeout", "crashed", "invalid notebook", "skipped")
DEFAULT_JOBS = 2
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 4096
FILE_SIZE_CAP = 256 * 2**20   # RLIMIT_FSIZE of a grading: a runaway writer stops here
OUTPUT_READ_CAP = 64 * 2**10  # bytes of a captured output that are ever read back
MESSAGE_CAP = 300             # characters of the CSV's message column
NOTEBOOK_CAP = 64 * 2**20     # larger submissions are not read

# The notebook's grader cell (tools/exercises.py GRADER_CELL) is not run when it is exactly
# the set's: the runner stands in for otter's grader (grader.check marks a checkpoint).
SKIP_EXACT_CELLS: list[str] = []


class GradingError(Exception):
    """A problem that stops the grader itself (not one submission): one sentence."""


@dataclasses.dataclass
class Row:
    file: str
    status: str
    points: dict[str, float]
    total: float
    possible: float
    message: str = ""
    seconds: float = 0.0


def _one_line(text: str, cap: int = MESSAGE_CAP) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= cap else text[: cap - 3] + "..."


def _points(x: float) -> str:
    return f"{x:g}"


def _natural(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _read_tail(path: Path, cap: int = OUTPUT_READ_CAP) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - cap))
            return f.read(cap).decode("utf-8", errors="replace")
    except OSError:
        return ""


# --- the autograder ----------------------------------------------------------------------------


@dataclasses.dataclass
class Autograder:
    """What grading needs from an autograder zip: the tests, their points, nnlib."""

    path: Path
    files: dict          # question -> otter TestFile (points, names, hidden)
    tests: dict          # question -> [{"name", "function", "source"}] for the runner
    nnlib_dir: Path | None

    @property
    def questions(self) -> dict[str, float]:
        return {q: float(tf.possible) for q, tf in self.files.items()}

    def score(self, question: str, answers: list | None) -> float:
        """otter's score of a question from the runner's answers (None: no answers)."""
        from otter.test_files.abstract_test import TestCaseResult

        tf = self.files[question]
        passed = {}
        for a in answers or []:
            if isinstance(a, dict):
                passed[a.get("name")] = a.get("passed") is True
        tf.test_case_results = [TestCaseResult(test_case=tc, message="",
                                               passed=passed.get(tc.name, False))
                                for tc in tf.test_cases]
        return float(tf.score)


def _test_functions(source: str) -> list[tuple[str, str]]:
    """(function name, its source without decorators) of every test case, in file order."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            found.append((node.name, "".join(lines[node.lineno - 1:node.end_lineno])))
    return found


def load_autograder(zip_path: Path, workdir: Path) -> Autograder:
    """Read the tests and points of an otter autograder zip; extract its nnlib."""
    from otter.test_files import create_test_file
    from otter.nbmeta_config import NBMetadataConfig

    zip_path = Path(zip_path)
    files, tests = {}, {}
    target = workdir / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        for member in sorted(zf.namelist()):
            if member.startswith("tests/") and member.endswith(".py"):
                path = target / "tests" / Path(member).name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(zf.read(member))
                tf = create_test_file(str(path), NBMetadataConfig())
                functions = _test_functions(path.read_text(encoding="utf-8"))
                if len(functions) != len(tf.test_cases):
                    raise GradingError(f"{zip_path.name}: {member} has {len(tf.test_cases)} "
                                       f"test cases but {len(functions)} test functions.")
                files[tf.name] = tf
                tests[tf.name] = [{"name": tc.name, "function": fn, "source": src}
                                  for tc, (fn, src) in zip(tf.test_cases, functions, strict=True)]
            elif member.startswith("files/nnlib/") and not member.endswith("/"):
                path = target / "lib" / member[len("files/"):]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(zf.read(member))
    if not files:
        raise GradingError(f"{zip_path} holds no tests: is it an otter autograder zip?")
    order = sorted(files, key=_natural)
    nnlib_dir = target / "lib" if (target / "lib" / "nnlib" / "__init__.py").is_file() else None
    return Autograder(zip_path, {q: files[q] for q in order}, {q: tests[q] for q in order},
                      nnlib_dir)


# --- collecting and reading submissions --------------------------------------------------------


def collect(folder: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """Every file under ``folder``: (submissions to grade, (name, reason) of those skipped).

    Names are paths relative to ``folder`` (``alice/notebook.ipynb``), so equal file names in
    different sub-folders stay apart. Hidden folders (``.ipynb_checkpoints``, ``.git``) are
    one skipped entry each; symbolic links are not followed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"the submissions folder {folder} does not exist (or is not a "
                           "folder).")
    submissions, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        for d in sorted(dirnames):
            path = base / d
            rel = path.relative_to(folder).as_posix() + "/"
            if path.is_symlink():
                skipped.append((rel, "a symbolic link to a folder (not followed)"))
            elif d.startswith("."):
                count = sum(len(f) for _, _, f in os.walk(path))
                what = ("Jupyter's automatic copies" if d == ".ipynb_checkpoints"
                        else "a hidden folder")
                skipped.append((rel, f"{what}, {count} file(s), not graded"))
        dirnames[:] = [d for d in dirnames
                       if not d.startswith(".") and not (base / d).is_symlink()]
        for name in filenames:
            path = base / name
            rel = path.relative_to(folder).as_posix()
            suffix = path.suffix.lower()
            if path.is_symlink():
                skipped.append((rel, "a symbolic link (not followed)"))
            elif name.startswith("."):
                skipped.append((rel, "a hidden file"))
            elif suffix in (".ipynb", ".zip"):
                submissions.append((rel, path))
            else:
                skipped.append((rel, f"not a notebook ({suffix or 'no extension'}): only "
                                     ".ipynb files and otter's .zip exports are graded"))
    submissions.sort(key=lambda s: _natural(s[0]))
    skipped.sort(key=lambda s: _natural(s[0]))
    if not submissions:
        raise GradingError(f"there is nothing to grade in {folder}: it holds no .ipynb or .zip "
                           "files, also in its sub-folders (one notebook per student, as "
                           "downloaded from Jupyter or the LMS).")
    return submissions, skipped


def read_submission(path: Path, assignment: str) -> tuple[dict | None, str]:
    """(the notebook as nbformat 4, a note) or (None, why it cannot be graded)."""
    try:
        if path.suffix.lower() == ".zip":
            if not zipfile.is_zipfile(path):
                return None, "not a valid zip file"
            with zipfile.ZipFile(path) as zf:
                notebooks = [n for n in zf.namelist()
                             if n.lower().endswith(".ipynb") and "/" not in n.strip("/")]
                if len(notebooks) != 1:
                    return None, (f"the zip holds {len(notebooks)} notebooks at its top level; "
                                  "otter's export holds exactly one")
                with zf.open(notebooks[0]) as f:
                    raw = f.read(NOTEBOOK_CAP + 1)
        else:
            with open(path, "rb") as f:
                raw = f.read(NOTEBOOK_CAP + 1)
    except (OSError, zipfile.BadZipFile) as e:
        return None, f"cannot be read ({e})"
    if len(raw) > NOTEBOOK_CAP:
        return None, f"the notebook is larger than {NOTEBOOK_CAP // 2**20} MB"
    text = raw.decode("utf-8", errors="replace")
    try:
        nb = json.loads(text)
    except ValueError as e:
        return None, f"not valid JSON ({e})"
    if not isinstance(nb, dict):
        return None, "valid JSON but not a Jupyter notebook"
    note = ""
    version = nb.get("nbformat")
    if version == 3 or (version is None and isinstance(nb.get("worksheets"), list)):
        import nbformat
        try:
            nb = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
        except Exception as e:  # noqa: BLE001  (nbformat raises many kinds)
            return None, f"a notebook in nbformat 3 that could not be converted ({e})"
        note = "converted from nbformat 3"
    elif version != 4:
        return None, (f"a notebook in format {version!r}; only nbformat 4 (and 3, converted) "
                      "can be graded")
    if not isinstance(nb.get("cells"), list):
        return None, "valid JSON but not a Jupyter notebook (no list of cells)"
    meta = nb.get("metadata")
    otter_meta = meta.get("otter") if isinstance(meta, dict) else None
    name = otter_meta.get("assignment_name") if isinstance(otter_meta, dict) else None
    if name is None:
        return None, ((note + "; " if note else "")
                      + "the notebook has no otter metadata: it was not made from the student "
                      f"notebook of {assignment} (copy the answers into that notebook, or grade "
                      "by hand)")
    if name != assignment:
        return None, f"this is a notebook of exercise set {name}, not {assignment}"
    return nb, note


def cell_sources(nb: dict) -> list[str | None]:
    """The source of every code cell (None for the other cells), in order."""
    out = []
    for cell in nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append("".join(src) if isinstance(src, list) else str(src))
        else:
            out.append(None)
    return out


# --- the sandbox --------------------------------------------------------------------------------


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def _probe_args(bwrap: str) -> list[str]:
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "true"]


def sandbox_status(mode: str = "auto") -> tuple[bool, str]:
    """(whether submissions run in bubblewrap, a sentence saying so and why)."""
    if mode == "none":
        return False, ("no sandbox (--sandbox none): submissions run as your user, with your "
                       "files and the network within their reach")
    bwrap = _bwrap()
    if bwrap is None:
        reason = "bubblewrap (bwrap) is not installed"
    else:
        try:
            proc = subprocess.run(_probe_args(bwrap), capture_output=True, text=True,
                                  timeout=30, stdin=subprocess.DEVNULL)
            if proc.returncode == 0:
                return True, (f"sandbox: bubblewrap ({bwrap}); no network, files read-only "
                              "except each submission's own folder, every process ends with "
                              "its submission")
            reason = ("bwrap cannot create its namespaces here: "
                      + (proc.stderr.strip().splitlines() or ["no message"])[-1])
        except (OSError, subprocess.TimeoutExpired) as e:
            reason = f"bwrap failed to start ({e})"
    if mode == "bwrap":
        raise GradingError(f"--sandbox bwrap was asked for, but {reason}.")
    return False, (f"NO SANDBOX: {reason}. Submissions run as your user, with your files and "
                   "the network within their reach; tampering is still detected and flagged. "
                   "See exercises/instructors.md (install the bubblewrap package).")


def _hide(path: Path, bind: list[str], hidden: list[Path]) -> None:
    path = Path(path).resolve()
    if path == Path("/") or any(path == h or h in path.parents for h in hidden):
        return
    if path.is_dir():
        hidden.append(path)
        bind += ["--tmpfs", str(path)]


def sandbox_args(work: Path, hide: list[Path], expose: list[Path]) -> list[str]:
    """bwrap's arguments: ``work/box`` writable at /tmp/submission, ``work/grader``
    read-only at /tmp/grader, the folders in ``hide`` empty, those in ``expose`` back."""
    args = [_bwrap(), "--unshare-all", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp"]
    hidden: list[Path] = []
    for h in hide:
        _hide(h, args, hidden)
    for e in expose:
        e = Path(e).resolve()
        if e.exists() and any(h == e or h in e.parents for h in hidden):
            args += ["--ro-bind", str(e), str(e)]
    args += ["--ro-bind", str(work / "grader"), "/tmp/grader",
             "--bind", str(work / "box"), "/tmp/submission", "--chdir", "/tmp/submission"]
    return args


# Started with `python -c`: caps the size of every file and the memory of the processes that
# grade a submission, then becomes the sandbox (or the runner). Not preexec_fn: threads.
_LAUNCHER = ("import os, resource, sys; fsize, memory = int(sys.argv[1]), int(sys.argv[2]); "
             "resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize)); "
             "resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); "
             "memory > 0 and resource.setrlimit(resource.RLIMIT_AS, (memory, memory)); "
             "os.execv(sys.argv[3], sys.argv[3:])")


def _library_dirs(extra: list[Path]) -> list[str]:
    paths = sysconfig.get_paths()
    dirs = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    dirs |= {sys.prefix, sys.base_prefix, sys.exec_prefix}
    dirs |= {str(p) for p in extra}
    return sorted(d for d in dirs if d)


def _mpl_cache() -> list[str]:
    """The font list of this machine's matplotlib cache (copied in: no rebuild per run)."""
    candidates = []
    for base in (os.environ.get("MPLCONFIGDIR"), os.environ.get("XDG_CACHE_HOME"),
                 str(Path.home() / ".cache")):
        if base:
            for sub in ("", "matplotlib"):
                candidates += sorted(Path(base, sub).glob("fontlist-*.json"))
    return [str(candidates[-1])] if candidates else []


# --- processes ----------------------------------------------------------------------------------


def _token_pids(token: str) -> list[int]:
    """Processes (of this user) whose environment carries a grading token."""
    needle = f"NNLIB_GRADING_TOKEN={token}".encode()
    pids = []
    proc = Path("/proc")
    if not proc.is_dir():
        return pids
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _children_of(pid: int) -> list[int]:
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


_RUNNING: dict[str, int] = {}    # grading token -> process group, while it runs
_RUNNING_LOCK = threading.Lock()


def kill_tree(pgid: int | None, token: str) -> int:
    """Kill a grading's process group, every process that inherited its token, and every
    orphan this process adopted as a subreaper (see ``_become_subreaper``). Returns the
    number of stray processes killed."""
    if pgid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    killed: set[int] = set()
    for _ in range(100):
        pids = [p for p in _token_pids(token) if p != os.getpid()]
        with _RUNNING_LOCK:          # no grading starts while the orphans are listed
            if _ADOPTING[0]:
                running = set(_RUNNING.values())
                pids += [p for p in _children_of(os.getpid())
                         if p not in running and p != pgid and p not in _KEEP]
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    return len(killed)


_KEEP: set[int] = set()          # children this process had before grading: never killed
_ADOPTING = [0]                  # gradings under way (grade_folder may run in threads)


def _subreaper(on: bool) -> None:
    """While grading, orphans of the gradings (a process started in a new session, with an
    empty environment) become children of this process, so that kill_tree finds them
    (Linux; PR_SET_CHILD_SUBREAPER). The children this process already had are left alone."""
    if not sys.platform.startswith("linux"):
        return
    with _RUNNING_LOCK:
        _ADOPTING[0] += 1 if on else -1
        first, last = on and _ADOPTING[0] == 1, not on and _ADOPTING[0] == 0
        if first:
            _KEEP.clear()
            _KEEP.update(_children_of(os.getpid()))
    if not (first or last):
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1 if on else 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill_running() -> None:
    with _RUNNING_LOCK:
        running = dict(_RUNNING)
    for token, pgid in running.items():
        kill_tree(pgid, token)


# --- grading one submission ---------------------------------------------------------------------


@dataclasses.dataclass
class Setup:
    """What every grading of one run shares."""

    assignment: str
    autograder: Autograder
    timeout: float
    memory_mb: int
    sandbox: bool
    hide: list[Path]
    expose: list[Path]
    protected: list[str]
    allowed: list[str]
    library: list[str]
    skip_exact: list[str]


def _signal_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return str(n)


def grade_one(rel: str, path: Path, setup: Setup, workdir: Path) -> Row:
    """Grade one submission (see the module docstring); always returns its row."""
    start = time.monotonic()
    ag = setup.autograder
    questions = ag.questions
    possible = sum(questions.values())
    zeros = {q: 0.0 for q in questions}

    def row(status: str, message: str, points=None) -> Row:
        points = points or zeros
        return Row(rel, status, points, sum(points.values()), possible, _one_line(message),
                   time.monotonic() - start)

    nb, note = read_submission(path, setup.assignment)
    if nb is None:
        return row("invalid notebook", note)
    work = Path(tempfile.mkdtemp(prefix="submission-", dir=workdir))
    box, grader = work / "box", work / "grader"
    box.mkdir()
    grader.mkdir()
    (box / "submission.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    shutil.copyfile(RUNNER, grader / RUNNER.name)
    if ag.nnlib_dir is not None:
        shutil.copytree(ag.nnlib_dir / "nnlib", grader / "nnlib")
    cells = cell_sources(nb)
    skip = [i for i, c in enumerate(cells) if c is not None and c.strip() in setup.skip_exact]
    inside_box = "/tmp/submission" if setup.sandbox else str(box)
    inside_grader = "/tmp/grader" if setup.sandbox else str(grader)
    config = {
        "box": inside_box, "out_fd": None, "questions": list(questions), "cells": cells,
        "skip_cells": skip, "cell_timeout": setup.timeout, "test_timeout": setup.timeout,
        "question_timeout": setup.timeout, "memory_mb": setup.memory_mb,
        "library": setup.library + [inside_grader], "protected": setup.protected,
        "allowed": setup.allowed, "writable": ["/tmp"] if setup.sandbox else [],
        "mpl_cache": _mpl_cache(), "stdlib": sysconfig.get_paths()["stdlib"],
    }
    token = uuid.uuid4().hex
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": inside_box,
           "LANG": "C.UTF-8", "PYTHONPATH": inside_grader, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NNLIB_GRADING_TOKEN": token}
    inner = [sys.executable, "-s", f"{inside_grader}/{RUNNER.name}"]
    if setup.sandbox:
        inner = sandbox_args(work, setup.hide, setup.expose) + ["--"] + inner
    memory = setup.memory_mb * 2**20 if setup.memory_mb else 0
    cmd = [sys.executable, "-c", _LAUNCHER, str(FILE_SIZE_CAP), str(memory), *inner]
    out_r, out_w = os.pipe()
    config["out_fd"] = out_w
    hard_limit = setup.timeout * (3 + len(questions)) + 60
    messages: list[dict] = []
    timed_out = False
    with open(work / "stderr.txt", "wb") as err:
        try:
            with _RUNNING_LOCK:      # kill_tree must never see it unregistered
                proc = subprocess.Popen(cmd, cwd=box, stdin=subprocess.PIPE, stdout=err,
                                        stderr=err, env=env, start_new_session=True,
                                        pass_fds=(out_w,))
                _RUNNING[token] = proc.pid
        finally:
            os.close(out_w)
        try:
            messages, timed_out = _converse(proc, out_r, config, ag, hard_limit)
        except BaseException:
            kill_tree(proc.pid, token)
            proc.wait()
            raise
        finally:
            os.close(out_r)
            with _RUNNING_LOCK:
                _RUNNING.pop(token, None)
            kill_tree(proc.pid, token)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
    rc = proc.returncode
    return _assemble(rel, setup, messages, timed_out, rc, work, note, start)


def _converse(proc, out_r: int, config: dict, ag: Autograder, hard_limit: float):
    """Talk to the runner: config, then the tests once it asks; collect its messages."""
    deadline = time.monotonic() + hard_limit
    messages: list[dict] = []
    pending = b""
    try:
        proc.stdin.write((json.dumps(config) + "\n").encode())
        proc.stdin.flush()
    except (BrokenPipeError, OSError):
        return messages, False
    sent_tests = False
    while True:
        wait = deadline - time.monotonic()
        if wait <= 0:
            return messages, True
        ready = select.select([out_r], [], [], min(wait, 1.0))[0]
        if not ready:
            if proc.poll() is not None:
                return messages, False
            continue
        chunk = os.read(out_r, 1 << 16)
        if not chunk:
            return messages, False
        pending += chunk
        if len(pending) > 64 * 2**20:
            messages.append({"t": "flag", "reason": "the runner sent more than 64 MB"})
            return messages, False
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            try:
                m = json.loads(line.decode("utf-8", "replace"))
            except ValueError:
                m = {"t": "flag", "reason": "garbage from the runner"}
            if not isinstance(m, dict):
                continue
            messages.append(m)
            if m.get("t") == "executed" and not sent_tests:
                sent_tests = True
                try:
                    proc.stdin.write((json.dumps({"tests": ag.tests}) + "\n").encode())
                    proc.stdin.flush()
                    proc.stdin.close()
                except (BrokenPipeError, OSError):
                    pass
            if m.get("t") == "end":
                return messages, False


def _assemble(rel: str, setup: Setup, messages: list[dict], timed_out: bool, rc,
              work: Path, note: str, start: float) -> Row:
    ag = setup.autograder
    questions = ag.questions
    points = {q: 0.0 for q in questions}
    flags, notes = [], [note] if note else []
    executed = next((m for m in messages if m.get("t") == "executed"), None)
    ended = any(m.get("t") == "end" for m in messages)
    last_cell = None
    for m in messages:
        t = m.get("t")
        if t == "flag":
            reason = str(m.get("reason"))
            if reason not in flags:
                flags.append(reason)
        elif t == "cell":
            last_cell = m.get("cell")
        elif t == "result":
            answers = m.get("answers")
            for q in m.get("questions") or []:
                if q not in questions:
                    continue
                got = answers.get(q) if isinstance(answers, dict) else None
                if got is None:
                    notes.append(f"the tests of {q} did not finish (a test ran too long, or "
                                 "the notebook's code ended the grading process)")
                points[q] = ag.score(q, got)
    status = "graded"
    limit = f"{setup.memory_mb} MB" if setup.memory_mb else "none"
    if executed is None:
        stderr = _read_tail(work / "stderr.txt")
        status = "timeout" if timed_out else "crashed"
        if timed_out:
            notes.append(f"the grading did not finish within {setup.timeout:g} s per part "
                         "and was killed")
        elif "MemoryError" in stderr:
            notes.append(f"the grader ran out of memory (limit {limit} per submission)")
        else:
            lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
            sandbox_error = next((ln for ln in lines if ln.startswith("bwrap:")), None)
            if sandbox_error:
                notes.append(f"the sandbox could not start ({sandbox_error}); grade with "
                             "SANDBOX=none, or see exercises/instructors.md")
            elif any(ln.startswith("Traceback") for ln in lines):
                notes.append(f"the grader failed before the notebook had run ({lines[-1]})")
            else:
                notes.append("the grader's supervising process died before the notebook had "
                             "finished")
                flags.append("the grader's supervising process was killed, probably by the "
                             "notebook")
    else:
        cell = executed.get("cell", last_cell)
        where = f"cell {cell}" if cell is not None else "the start"
        if executed.get("timeout"):
            status = "timeout"
            notes.insert(0, f"{where} was still running after {setup.timeout:g} s (an "
                            "endless loop?) and was stopped; questions checked before it "
                            "were graded, the others got 0")
        elif not executed.get("done"):
            status = "crashed"
            code = executed.get("exit")
            if code is not None and code < 0:
                how = f"killed by {_signal_name(-code)}"
                if -code in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
                    how += f" (too much memory? the limit is {limit} per submission)"
                if -code == signal.SIGXFSZ:
                    how = (f"stopped for writing a file larger than {FILE_SIZE_CAP // 2**20} "
                           "MB")
            elif code == 0:
                how = ("it stopped reporting to the grader (it wrote to or closed the grader's "
                       "channel, or called os._exit(0))")
            else:
                how = f"ended with exit code {code} (os._exit, or a crash)"
            notes.insert(0, f"the notebook's process stopped in {where}: {how}; questions "
                            "checked before it were graded, the others got 0")
        if executed.get("memory") is not None:
            notes.append(f"cell {executed['memory']} ran out of memory (MemoryError; the limit "
                         f"is {limit} per submission)")
        if not ended:
            if status == "graded":
                status = "timeout" if timed_out else "crashed"
            notes.append("the grading stopped before all questions were graded"
                         + (" (time limit)" if timed_out else ""))
    if flags:
        status = "flagged"
        notes.insert(0, "flagged for a person to look at: " + "; ".join(flags))
    possible = sum(questions.values())
    return Row(rel, status, points, sum(points.values()), possible,
               _one_line(" | ".join(n for n in notes if n)), time.monotonic() - start)


# --- the folder -------------------------------------------------------------------------------


def write_csv(rows: list[Row], questions: dict[str, float], out: Path) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", *questions, "total", "max", "status", "message"])
        for r in rows:
            writer.writerow([r.file, *(_points(r.points.get(q, 0.0)) for q in questions),
                             _points(r.total), _points(r.possible), r.status, r.message])
    tmp.replace(out)


def grade_folder(assignment: str, folder: Path | str, autograder: Path, *,
                 jobs: int = DEFAULT_JOBS, timeout: float = DEFAULT_TIMEOUT,
                 memory_mb: int = DEFAULT_MEMORY_MB, sandbox: str = "auto",
                 out: Path = Path("scores.csv"), hide: list[Path] | None = None,
                 skip_exact: list[str] | None = None, log=print) -> list[Row]:
    """Grade every submission under ``folder`` with ``autograder``; write the CSV."""
    if jobs < 1:
        raise GradingError(f"--jobs must be at least 1, got {jobs}.")
    if not timeout > 0:
        raise GradingError(f"--timeout must be a positive number of seconds, got {timeout}.")
    if memory_mb < 0:
        raise GradingError(f"--memory must be a number of megabytes (0: no limit), got "
                           f"{memory_mb}.")
    if sandbox not in ("auto", "bwrap", "none"):
        raise GradingError(f"--sandbox must be auto, bwrap or none, got {sandbox!r}.")
    folder = Path(folder).resolve()
    submissions, skipped = collect(folder)
    use_sandbox, sentence = sandbox_status(sandbox)
    log(sentence)
    autograder = Path(autograder).resolve()
    rows: dict[str, Row] = {}
    start = time.monotonic()
    _subreaper(True)
    try:
        ordered, questions = _grade_all(assignment, folder, autograder, submissions, skipped,
                                        jobs, timeout, memory_mb, use_sandbox, out, hide,
                                        skip_exact, log, rows)
    finally:
        _subreaper(False)
    write_csv(ordered, questions, out)
    elapsed = time.monotonic() - start
    counts = ", ".join(f"{sum(r.status == s for r in ordered)} {s}" for s in STATUSES
                       if any(r.status == s for r in ordered))
    log(f"wrote {out} ({counts}); {elapsed:.0f} s in all, "
        f"{elapsed / max(1, len(submissions)):.1f} s per submission")
    if not use_sandbox:
        log(sentence)
    flagged = [r.file for r in ordered if r.status == "flagged"]
    if flagged:
        log(f"{len(flagged)} flagged row(s) need a person to look at them: "
            + ", ".join(flagged[:10]) + (" ..." if len(flagged) > 10 else ""))
    return ordered


def _grade_all(assignment, folder, autograder, submissions, skipped, jobs, timeout, memory_mb,
               use_sandbox, out, hide, skip_exact, log, rows):
    """The body of grade_folder: every submission graded, rows filled in; (rows, questions)."""
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        workdir = Path(tmp)
        ag = load_autograder(autograder, workdir)
        questions = ag.questions
        lib_extra = [ag.nnlib_dir] if ag.nnlib_dir is not None else []
        hidden = [ROOT, folder, autograder.parent, *(hide or [])]
        expose = [Path(sys.prefix), Path(sys.exec_prefix)]
        if ag.nnlib_dir is None:            # a zip without nnlib: the installed one
            import importlib.util
            spec = importlib.util.find_spec("nnlib")
            if spec is not None and spec.submodule_search_locations:
                installed = Path(list(spec.submodule_search_locations)[0])
                expose.append(installed)
                lib_extra.append(installed)
        setup = Setup(assignment, ag, float(timeout), int(memory_mb), use_sandbox,
                      hide=hidden, expose=expose,
                      protected=[str(p) for p in hidden] + [str(workdir)],
                      allowed=[sys.prefix, sys.exec_prefix, sys.base_prefix,
                               *sysconfig.get_paths().values(), *map(str, lib_extra)],
                      library=_library_dirs(lib_extra), skip_exact=list(skip_exact or []))
        for rel, reason in skipped:
            rows[rel] = Row(rel, "skipped", {q: 0.0 for q in questions}, 0.0,
                            sum(questions.values()), _one_line(reason))
        if skipped:
            log(f"skipping {len(skipped)} file(s) that are not submissions (listed in "
                f"{Path(out).name} with the reason): "
                + ", ".join(rel for rel, _ in skipped[:8]) + (" ..." if len(skipped) > 8 else ""))
        log(f"grading {len(submissions)} submission(s) of {assignment} with "
            f"{autograder.name}, {jobs} at a time, timeout {timeout:g} s, memory "
            f"{memory_mb or 'unlimited'} MB")
        order = sorted([rel for rel, _ in submissions] + [rel for rel, _ in skipped],
                       key=_natural)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade_one, rel, path, setup, workdir): rel
                       for rel, path in submissions}
            try:
                for n, future in enumerate(as_completed(futures), start=1):
                    rel = futures[future]
                    try:
                        r = future.result()
                    except Exception as e:  # a bug of the grader: still the submission's row
                        r = Row(rel, "crashed", {q: 0.0 for q in questions}, 0.0,
                                sum(questions.values()), _one_line(f"grader error: {e!r}"))
                    rows[rel] = r
                    log(f"[{n}/{len(submissions)}] {r.file}: {r.status} "
                        f"{_points(r.total)}/{_points(r.possible)} ({r.seconds:.1f} s)"
                        + (f" - {r.message}" if r.message else ""))
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                _kill_running()
                for rel in order:
                    rows.setdefault(rel, Row(rel, "crashed", {q: 0.0 for q in questions}, 0.0,
                                             sum(questions.values()),
                                             "grading was interrupted"))
                write_csv([rows[rel] for rel in order], questions, out)
                raise
    return [rows[rel] for rel in order], questions
