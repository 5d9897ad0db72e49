"""The process that grades one submission, inside the sandbox (started by tools/grading.py).

exercises/instructors.md ("What the grader guarantees") says what this is for in plain words.
The design:

- **R**, the supervisor (this script's process), never runs a line of the submission. Before
  anything else it imports numpy, matplotlib and nnlib, keeps references to every function,
  class and module the tests can reach (the *fingerprint*: numpy's, nnlib's, the builtins, a
  few standard modules) and installs an audit hook (``sys.addaudithook``) that reports
  suspicious operations. It alone talks to the batch grader outside the sandbox: its stdin
  and one pipe (``out_fd``).
- **X**, the executor, a fork of R, runs the notebook's code cells in order in one namespace,
  like Jupyter. It first closes R's pipes, and R is not dumpable (no ptrace, no /proc/R/mem).
  A cell that raises is recorded and skipped, like otter's ``ignore_errors``.
- **C**, a checkpoint: at every ``grader.check("qN")`` cell X forks, and the child stops
  itself, frozen in the state the notebook had there: otter grades a question when its check
  cell runs, with all its tests; questions never checked are graded after the last cell. A
  fork has one thread, so no thread of the notebook runs in C, and X's threads end with X.
- The tests arrive only after X has ended (R waits for its exit, which no code can fake), from
  the batch grader, which reads them from the instructor's autograder zip. R first kills
  every process the notebook left behind, then wakes the checkpoints one at a time
  (SIGCONT) and hands each its tests through a pipe. C checks the fingerprint, runs each test
  case with a private copy of the builtins (a timer stops a case that runs too long), checks
  the fingerprint after every case, runs a *canary* (a test that must fail) and answers with
  the nonce it got with its tests.

Anything suspicious becomes a *flag* (the batch grader marks the row ``flagged``); opening the
grader's files or another process's memory, writing outside the folder and the network are
also refused (PermissionError), which matters where there is no sandbox. The flags: a library
function the tests use replaced (numpy's, nnlib's, a builtin), frame or garbage-collector
introspection, ``sys.settrace``/``setprofile``, ctypes, a new audit hook, new processes,
signals, the network, opening the instructor's files or another process's memory, writing
outside the submission's folder, a canary that passed.

The trusted code is ``main``, re-created with private globals and a private copy of the
builtins; everything it needs after the notebook's first cell is bound to its local
variables beforehand, so nothing the submission reaches by attribute access leads to it.
Messages from X and C are ``repr`` of plain data, length-prefixed, read by R with
``ast.literal_eval``; R's messages to C are evaluated there without builtins. What this cannot
stop: code running in these processes can, with enough effort and flagged operations, still
forge a result. The remedy is a person looking at the flagged rows.
"""

import builtins
import sys
import types


def main(config):  # noqa: C901  (one function on purpose: see the module docstring)
    import ast
    import builtins
    import sys
    import types
    import ctypes
    import fcntl
    import gc
    import json
    import os
    import re
    import secrets
    import select
    import shutil
    import signal
    import struct
    import time
    import warnings

    # --- the environment the notebook expects; the libraries the tests use -------------------
    box = config["box"]
    os.chdir(box)
    mpl_dir = os.path.join(box, ".matplotlib")
    os.makedirs(mpl_dir, exist_ok=True)
    for src in config.get("mpl_cache") or []:
        try:
            shutil.copyfile(src, os.path.join(mpl_dir, os.path.basename(src)))
        except OSError:
            pass
    os.environ["MPLCONFIGDIR"] = mpl_dir
    os.environ["MPLBACKEND"] = "Agg"
    os.makedirs(os.path.join(box, ".tmp"), exist_ok=True)
    os.environ["TMPDIR"] = os.path.join(box, ".tmp")      # tempfile writes in the box

    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (the setup cell imports it: warm it up once here)
    import pkgutil
    import nnlib
    for info in pkgutil.walk_packages(nnlib.__path__, "nnlib."):
        try:
            __import__(info.name)
        except Exception:     # a module of nnlib that cannot be imported is in no test
            pass
    for name in ("numpy.linalg", "numpy.random", "cmath", "copy", "functools", "inspect",
                 "itertools", "math", "operator", "collections", "types", "random", "string",
                 "textwrap", "fractions", "decimal", "statistics", "numbers", "heapq",
                 "bisect", "dataclasses", "enum", "typing", "contextlib", "weakref"):
        __import__(name)

    # --- trusted references, bound before the notebook's first cell --------------------------
    _fork, _exit, _kill, _getpid, _waitpid = os.fork, os._exit, os.kill, os.getpid, os.waitpid
    _read, _write, _close, _pipe, _dup2, _open = (os.read, os.write, os.close, os.pipe,
                                                  os.dup2, os.open)
    _realpath, _join, _basename, _listdir = (os.path.realpath, os.path.join, os.path.basename,
                                             os.listdir)
    _WNOHANG, _O_RDWR, _O_WRONLY, _devnull = os.WNOHANG, os.O_RDWR, os.O_WRONLY, os.devnull
    _setitimer, _signal, _ITIMER_REAL = signal.setitimer, signal.signal, signal.ITIMER_REAL
    _SIG_DFL, _SIG_IGN = signal.SIG_DFL, signal.SIG_IGN
    _catchable = [s for s in signal.valid_signals()
                  if s not in (signal.SIGKILL, signal.SIGSTOP)]
    _SIGSTOP, _SIGCONT, _SIGKILL, _SIGALRM, _SIGXFSZ = (signal.SIGSTOP, signal.SIGCONT,
                                                       signal.SIGKILL, signal.SIGALRM,
                                                       signal.SIGXFSZ)
    _monotonic, _sleep, _select = time.monotonic, time.sleep, select.select
    _pack, _unpack, _token = struct.pack, struct.unpack, secrets.token_hex
    _getframe, _compile, _exec, _eval, _repr = sys._getframe, compile, exec, eval, repr
    _settrace, _setprofile = sys.settrace, sys.setprofile
    _setrecursionlimit, _recursionlimit = sys.setrecursionlimit, sys.getrecursionlimit()
    _modules, _sys = sys.modules, sys
    _meta_path, _path_hooks, _path = list(sys.meta_path), list(sys.path_hooks), list(sys.path)
    _importer_cache = sys.path_importer_cache
    _gc_disable, _gc_callbacks = gc.disable, gc.callbacks
    _resetwarnings = warnings.resetwarnings
    _seterr, _default_err = np.seterr, np.geterr()
    _set_printoptions, _default_print = np.set_printoptions, np.get_printoptions()
    _proc_pattern = re.compile(r"/proc/[^/]+/(mem|fd/|environ|maps|pagemap)")
    _check_cell = re.compile(r'^\s*grader\.check\(\s*["\'](?P<q>[^"\']+)["\']\s*\)\s*;?\s*$')
    _builtins = dict(builtins.__dict__)
    _FunctionType, _ModuleType = types.FunctionType, types.ModuleType
    _literal = ast.literal_eval     # used by R only, which never runs the notebook's code

    out_fd = config["out_fd"]
    questions = list(config["questions"])
    cell_deadline = float(config["cell_timeout"])
    test_timeout = float(config["test_timeout"])
    question_timeout = float(config["question_timeout"])
    skip_cells = set(config.get("skip_cells", []))
    cells = config["cells"]
    me = _getframe(0).f_code.co_filename
    test_prefix = "<grader test " + _token(8)      # the file name of the tests' code

    def norm(path):
        return path.rstrip("/") + "/"

    library_dirs = tuple(norm(_realpath(p)) for p in config.get("library", []) if p)
    protected = tuple(norm(_realpath(p)) for p in config.get("protected", []) if p)
    allowed = tuple(norm(_realpath(p)) for p in config.get("allowed", []) if p)
    writable = tuple(norm(_realpath(p)) for p in [box, *config.get("writable", [])] if p)
    mine = (norm(_realpath(box)), norm(_realpath(os.path.dirname(me))))
    stdlib = norm(_realpath(config.get("stdlib") or os.path.dirname(os.__file__)))
    # Standard modules that only pass a request on: an event raised in one of them is the
    # request of the code that called it (inspect.currentframe() is sys._getframe).
    proxies = {"inspect.py", "traceback.py", "pdb.py", "bdb.py", "pydoc.py", "subprocess.py",
               "os.py", "pty.py", "socket.py", "ssl.py", "signal.py", "gc.py", "threading.py",
               "ctypes", "multiprocessing", "urllib", "http", "asyncio", "concurrent",
               "email", "xmlrpc", "ftplib.py", "smtplib.py", "telnetlib.py", "webbrowser.py",
               "platform.py", "shutil.py", "pathlib.py", "tempfile.py", "glob.py", "io.py",
               "codecs.py", "_pyio.py"}

    # --- the fingerprint ---------------------------------------------------------------------
    prefixes = ("numpy", "nnlib")
    exact = {"builtins", "math", "cmath", "copy", "functools", "itertools", "operator", "types",
             "inspect", "warnings", "sys", "collections", "random", "gc"}
    not_checked = {("warnings", "showwarning"), ("warnings", "formatwarning"),
                   ("sys", "displayhook"), ("sys", "excepthook"), ("sys", "breakpointhook"),
                   ("sys", "unraisablehook"), ("builtins", "_"), ("builtins", "display"),
                   ("builtins", "get_ipython"), ("builtins", "exit"), ("builtins", "quit")}
    descriptors = (property, classmethod, staticmethod)

    def is_protected(name):
        return name in exact or name.split(".", 1)[0] in prefixes

    core = {"numpy", "numpy.linalg", "builtins", "math", "warnings", "sys", "copy"}

    def fingerprint(full=True):
        """References to what the tests can reach. (Changing a function's __code__ or
        __defaults__ in place is an audited event, which the hook reports.)"""
        refs = {}
        for name, mod in list(_modules.items()):
            if mod is None or not is_protected(name):
                continue
            if not full and name not in core and not name.startswith("nnlib"):
                continue
            refs[("sys.modules", name)] = mod
            try:
                items = list(vars(mod).items())
            except TypeError:
                continue
            for key, value in items:
                if (name, key) in not_checked or not (callable(value)
                                                       or isinstance(value, _ModuleType)):
                    continue
                refs[(name, key)] = value
                if isinstance(value, type) and (full or name.startswith("nnlib")) \
                        and is_protected(getattr(value, "__module__", None) or ""):
                    for attr, member in list(vars(value).items()):
                        if callable(member) or isinstance(member, descriptors):
                            refs[(name, key, attr)] = member
        return refs

    def changes(before, full=True):
        """The first changes since ``before``: things replaced or removed, as phrases."""
        now = fingerprint(full)
        found = []
        for key, value in before.items():
            module = key[1] if key[0] == "sys.modules" else key[0]
            if not full and not (module.startswith("nnlib") or (module in core
                                                                 and len(key) < 3)):
                continue
            if key[0] == "sys.modules":
                current = _modules.get(key[1])
                if current is not None and current is not value:
                    found.append(f"sys.modules[{key[1]!r}] was replaced")
            elif key not in now:
                if key[0] in _modules:
                    found.append(f"{'.'.join(key)} was removed")
            elif now[key] is not value:
                found.append(f"{'.'.join(key)} was replaced")
            if len(found) >= 3:
                break
        return found

    original = fingerprint()

    def foreign():
        """Functions of the libraries (otter's too) that are the notebook's own code."""
        busy[0] = True                     # reading __code__ is an audited event
        try:
            return foreign_code()
        finally:
            busy[0] = False

    def foreign_code():
        found = []
        for name, mod in list(_modules.items()):
            if mod is None or not (is_protected(name) or name.split(".", 1)[0] == "otter"):
                continue
            try:
                items = list(vars(mod).items())
            except TypeError:
                continue
            for key, value in items:
                members = [(key, value)]
                if isinstance(value, type) and (getattr(value, "__module__", None) or "") \
                        .split(".", 1)[0] in ("otter", "numpy", "nnlib"):
                    members += [(f"{key}.{a}", m) for a, m in list(vars(value).items())]
                for label, member in members:
                    fn = getattr(member, "__func__", member)
                    if isinstance(fn, _FunctionType) and fn.__code__.co_filename.startswith(
                            ("<cell ", mine[0])):
                        found.append(f"{name}.{label} is code of the notebook")
                        if len(found) >= 3:
                            return found
        return found

    # --- messages ----------------------------------------------------------------------------
    def write_all(fd, data):
        try:
            while data:
                data = data[_write(fd, data):]
            return True
        except OSError:
            return False

    def to_outside(obj):                     # R only
        write_all(out_fd, (json.dumps(obj) + "\n").encode())

    def send(fd, obj):                       # X and C to R, R to C: plain data, framed
        data = _repr(obj).encode("utf-8", "replace")
        return write_all(fd, _pack(">I", len(data)) + data)

    def read_exact(fd, n, deadline):
        parts, left = [], n
        while left:
            wait = deadline - _monotonic()
            if wait <= 0 or not _select([fd], [], [], wait)[0]:
                return None
            try:
                chunk = _read(fd, min(left, 1 << 20))
            except OSError:
                return None
            if not chunk:
                return None
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def receive_trusted(fd, deadline):       # C, from R: evaluated without any builtins
        head = read_exact(fd, 4, deadline)
        if head is None:
            return None
        body = read_exact(fd, _unpack(">I", head)[0], deadline)
        if body is None:
            return None
        return _eval(body.decode("utf-8"), {"__builtins__": {}}, {})

    # "up" carries X's progress, checkpoints and flags and C's answers to R; "down" carries
    # the tests from R to C.
    up_r, up_w = _pipe()
    down_r, down_w = _pipe()
    state = {"phase": "supervisor"}          # a local of main: no code of the notebook sees it

    # --- the audit hook ----------------------------------------------------------------------
    watched = frozenset({
        "sys._getframe", "sys._current_frames", "sys._current_exceptions", "object.__getattr__",
        "object.__setattr__", "object.__delattr__", "sys.settrace", "sys.setprofile",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.addaudithook",
        "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
        "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
        "socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo", "open",
        "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
        "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "resource.setrlimit",
        "resource.prlimit", "os.chroot", "ctypes.dlopen",
        "ctypes.dlsym", "ctypes.cdata", "ctypes.addressof", "ctypes.call_function",
        "ctypes.string_at", "ctypes.wstring_at", "ctypes.create_string_buffer",
        "ctypes.cdata/buffer", "ctypes.set_errno", "ctypes.get_errno", "ctypes.seh_exception"})
    frame_attrs = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
    process_events = frozenset({"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn",
                                "os.exec", "os.system", "subprocess.Popen", "pty.spawn"})
    fs_events = frozenset({"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod",
                           "os.chown", "os.link", "os.symlink", "os.truncate", "os.utime",
                           "shutil.rmtree"})
    busy = [False]
    reported = set()

    def kind(filename):
        """'trusted' (this file, the tests), 'library' (installed code) or 'student'."""
        if filename == me or filename.startswith(test_prefix):
            return "trusted"
        if filename.startswith("<frozen ") or filename.startswith(library_dirs):
            return "library"
        return "student"

    def where(frame):
        if frame is None:
            return "library code"
        name = frame.f_code.co_filename
        if name.startswith("<cell ") and name.endswith(">"):
            return f"{name[1:-1]}, line {frame.f_lineno}"
        return f"{_basename(name)}, line {frame.f_lineno}"

    def is_proxy(frame):
        name = frame.f_code.co_filename
        if not name.startswith(stdlib):
            return False
        rest = name[len(stdlib):].split("/")
        return rest[0] in proxies

    def requester(frame):
        """The frame on whose behalf a standard module acts, and its kind."""
        while frame is not None and is_proxy(frame):
            frame = frame.f_back
        if frame is None:
            return None, "library"
        return frame, kind(frame.f_code.co_filename)

    def owner(frame):
        """The nearest frame that is not library code, and its kind."""
        while frame is not None:
            k = kind(frame.f_code.co_filename)
            if k != "library":
                return frame, k
            frame = frame.f_back
        return None, "library"

    def flag(reason):
        if reason in reported or len(reported) >= 20:
            return
        reported.add(reason)
        send(up_w, {"t": "flag", "reason": reason[:300]})

    def path_of(arg):
        if isinstance(arg, bytes):
            arg = arg.decode("utf-8", "replace")
        if not isinstance(arg, str):
            return None
        try:
            return _realpath(_join(box, arg))
        except (OSError, ValueError):
            return None

    def open_problem(args):
        """Why opening args[0] is suspicious (None: it is not)."""
        path = path_of(args[0])
        if path is None:
            return None
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        p = norm(path)
        if p.startswith(mine):
            return None
        if p.startswith(protected) and not p.startswith(allowed):
            return f"opened the grader's file {path}"
        if _proc_pattern.match(path):
            return f"opened {path} (a process's memory or files)"
        writing = any(c in mode for c in "wax+") or flags & (_O_WRONLY | _O_RDWR)
        if writing and not p.startswith(writable) and path != _devnull:
            return f"opened {path} for writing, outside its folder"
        return None

    def hook(event, args):
        if event not in watched or busy[0] or state["phase"] == "supervisor":
            return
        if event == "object.__getattr__" and (len(args) < 2 or args[1] not in frame_attrs):
            return
        busy[0] = True
        refuse = None            # also stopped, not only flagged (it matters without a sandbox)
        try:
            problem = open_problem(args) if event == "open" else None
            if event == "open" and problem is None:
                return
            try:
                caller = _getframe(1)
            except ValueError:
                return
            direct = kind(caller.f_code.co_filename)
            if direct == "trusted":
                return
            if event in ("open",) or event in fs_events:
                asker, who = owner(caller)        # also a library asked to, e.g. numpy.load
            elif event in ("object.__setattr__", "object.__delattr__"):
                asker, who = caller, direct
            else:
                asker, who = requester(caller)   # the student, or a module passing it on
            if who != "student":
                return
            place = where(asker)
            if event == "sys._getframe":
                flag(f"frame introspection (sys._getframe) in {place}")
            elif event == "object.__getattr__":
                flag(f"frame introspection ({args[1]}) in {place}")
            elif event in ("object.__setattr__", "object.__delattr__"):
                target = args[0]
                if isinstance(target, _FunctionType):
                    if kind(target.__code__.co_filename) != "student":
                        flag(f"changed {args[1]} of the function {target.__module__}."
                             f"{target.__qualname__} in {place}")
                elif isinstance(target, type):
                    module = getattr(target, "__module__", None) or ""
                    if is_protected(module) or module.startswith(("otter", "_grader")):
                        flag(f"changed {args[1]} of the class {module}.{target.__qualname__} "
                             f"in {place}")
            elif event == "open":
                flag(f"{problem} in {place}")
                refuse = problem
            elif event in fs_events:
                path = path_of(args[0]) if args else None
                if path is not None and not norm(path).startswith(writable):
                    flag(f"{event} on {path}, outside its folder, in {place}")
                    refuse = f"{event} on {path}, outside its folder"
            elif event in process_events:
                flag(f"started a process ({event}) in {place}")
            elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
                flag(f"sent a signal ({event}) in {place}")
            elif event.startswith("socket."):
                flag(f"used the network ({event}) in {place}")
                refuse = f"the network ({event})"
            elif event.startswith("ctypes."):
                flag(f"used ctypes ({event}) in {place}")
            else:
                flag(f"called {event} in {place}")
        except Exception:
            pass
        finally:
            busy[0] = False
        if refuse is not None:
            raise PermissionError(f"the grader does not allow this: {refuse}")

    sys.addaudithook(hook)

    # R: not dumpable (nothing can ptrace it or read /proc/R/mem) and the subreaper of all the
    # notebook starts, so that R can end it all.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)       # PR_SET_DUMPABLE = 4
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER = 36
    except (OSError, AttributeError):
        pass

    # --- C: a checkpoint, woken by R ---------------------------------------------------------
    class TestTimeout(BaseException):
        pass

    def run_tests(ns, cases):
        """Run test cases on the namespace ``ns``; a list of (passed, message)."""
        results = []
        for case in cases:
            passed, message = False, ""
            try:
                code = _compile(case["source"], f"{test_prefix} {case['question']}>", "exec")
                glob = {"__builtins__": dict(_builtins), "__name__": "_grader_tests"}
                _exec(code, glob)
                fn = glob[case["function"]]
                co = fn.__code__
                params = co.co_varnames[:co.co_argcount + co.co_kwonlyargcount]
                kwargs = {p: (ns if p == "env" else ns.get(p)) for p in params}

                def on_alarm(signum, frame):
                    raise TestTimeout()

                _signal(_SIGALRM, on_alarm)
                _setitimer(_ITIMER_REAL, test_timeout)
                try:
                    fn(**kwargs)
                finally:
                    _setitimer(_ITIMER_REAL, 0)
                passed = True
            except TestTimeout:
                message = f"the test ran longer than {test_timeout:g} s and was stopped"
            except AssertionError as e:
                try:
                    message = str(e).strip("'")
                except BaseException:
                    message = "AssertionError"
            except BaseException as e:
                try:
                    message = f"the test raised {type(e).__name__} ({e})"
                except BaseException:
                    message = "the test raised an exception"
            results.append((passed, str(message)[:2000]))
        return results

    canary_source = (
        "def canary():\n"
        "    import math\n"
        "    import numpy as np\n"
        "    assert not np.allclose(np.array([0.0, 1.0]), np.array([1.0, 0.0])), 'allclose'\n"
        "    assert not np.isclose(0.0, 1.0), 'isclose'\n"
        "    assert not np.array_equal(np.zeros(2), np.ones(2)), 'array_equal'\n"
        "    assert not math.isclose(0.0, 1.0), 'math.isclose'\n"
        "    assert float(np.linalg.norm(np.array([3.0, 4.0]))) == 5.0, 'norm'\n"
        "    assert np.allclose(np.array([0.0, 1.0]), np.array([1.0, 0.0])), 'canary'\n")

    def clean_slate():
        """Undo what the notebook may have set up to run during the tests."""
        for s in _catchable:
            try:
                _signal(s, _SIG_DFL)
            except (OSError, ValueError, RuntimeError):
                pass
        _signal(_SIGXFSZ, _SIG_IGN)
        _settrace(None)
        _setprofile(None)
        _gc_disable()
        del _gc_callbacks[:]

    def grade_here(ns, names):
        """C, when woken: get the tests, run them, answer; never returns."""
        devnull = _open(_devnull, _O_RDWR)
        _dup2(devnull, 1)
        _dup2(devnull, 2)
        _sys.stdout = _sys.stderr = open(_devnull, "w")
        message = receive_trusted(down_r, _monotonic() + 60)
        if not isinstance(message, dict) or message.get("pid") != _getpid():
            _exit(3)
        state["phase"] = "tests"
        _sys.meta_path = list(_meta_path)
        _sys.path_hooks = list(_path_hooks)
        _sys.path = list(_path)
        _importer_cache.clear()
        _setrecursionlimit(_recursionlimit)
        _seterr(**_default_err)
        _set_printoptions(**_default_print)
        _resetwarnings()
        for change in changes(original) + foreign():
            flag(f"the notebook changed a library the tests use: {change}")
        answers = {}
        for q in names:
            answer = []
            for case in message["tests"].get(q, []):
                passed, text = run_tests(ns, [dict(case, question=q)])[0]
                answer.append({"name": case["name"], "passed": passed, "message": text})
                for change in changes(original, full=False):
                    flag(f"a library the tests use was changed during a test: {change}")
            answers[q] = answer
        for change in changes(original) + foreign():
            flag(f"a library the tests use was changed during a test: {change}")
        passed, text = run_tests(ns, [{"source": canary_source, "function": "canary",
                                       "question": "canary", "name": "canary"}])[0]
        if passed or text != "canary":
            flag("the canary (a test that must fail) did not fail: the notebook changed how "
                 "tests run")
        send(up_w, {"t": "result", "nonce": message["nonce"], "answers": answers})
        _exit(0)

    # --- X: the notebook's cells ---------------------------------------------------------------
    def execute():
        state["phase"] = "notebook"
        for fd in (0, out_fd, up_r, down_w):
            try:
                _close(fd)
            except OSError:
                pass
        devnull = _open(_devnull, _O_RDWR)
        _dup2(devnull, 0)
        _dup2(devnull, 1)                      # the notebook's prints go nowhere
        if devnull > 2:
            _close(devnull)
        ns = {"__name__": "__main__", "__builtins__": builtins}
        requested = []
        # Stand-ins for otter's grader and IPython, compiled as the notebook's own code, so
        # that nothing of the grader can be reached from them.
        stand_ins = {"__builtins__": builtins, "__name__": "__main__", "requested": requested,
                     "questions": list(questions), "ns": ns}
        exec(compile(
            "class Grader:\n"
            "    def check(self, question, *args, **kwargs):\n"
            "        requested.append(str(question))\n"
            "    def check_all(self, *args, **kwargs):\n"
            "        requested.extend(questions)\n"
            "    def export(self, *args, **kwargs):\n"
            "        return None\n"
            "class Shell:\n"
            "    def run_line_magic(self, *args, **kwargs):\n"
            "        return None\n"
            "    def run_cell_magic(self, magic, line, body):\n"
            "        if magic in ('time', 'timeit', 'capture', 'prun'):\n"
            "            exec(compile(body, '<cell magic>', 'exec'), ns)\n"
            "    def system(self, *args, **kwargs):\n"
            "        return None\n"
            "    getoutput = system\n"
            "_shell = Shell()\n"
            "def get_ipython():\n"
            "    return _shell\n"
            "def display(*args, **kwargs):\n"
            "    return None\n", "<cell stand-ins>", "exec"), stand_ins)
        ns["grader"] = stand_ins["Grader"]()
        ns["get_ipython"] = stand_ins["get_ipython"]
        ns["display"] = stand_ins["display"]
        taken = {}
        forks = [0]

        def checkpoint(names, index):
            names = [q for q in dict.fromkeys(names) if q in questions]
            if not names or forks[0] >= 4 * len(questions) + 4:
                return
            forks[0] += 1
            pid = _fork()
            if pid == 0:
                try:
                    clean_slate()
                    _kill(_getpid(), _SIGSTOP)
                    grade_here(ns, names)
                finally:
                    _exit(4)
            for q in names:
                taken[q] = pid
            send(up_w, {"t": "checkpoint", "pid": pid, "questions": names, "cell": index})

        transformer = []

        def compile_cell(source, index):
            try:
                return _compile(source, f"<cell {index}>", "exec")
            except SyntaxError:
                if not transformer:           # IPython syntax (%magic, !command)?
                    from IPython.core.inputtransformer2 import TransformerManager
                    transformer.append(TransformerManager())
                return _compile(transformer[0].transform_cell(source), f"<cell {index}>",
                                "exec")

        for index, source in enumerate(cells):
            if index in skip_cells or source is None:
                continue
            send(up_w, {"t": "cell", "cell": index})
            match = _check_cell.match(source)
            if match:
                checkpoint([match.group("q")], index)
                continue
            try:
                _exec(compile_cell(source, index), ns)
            except BaseException as e:        # like otter's ignore_errors; SystemExit too
                try:
                    text = f"{type(e).__name__}: {e}"
                except BaseException:
                    text = "an exception"
                send(up_w, {"t": "error", "cell": index, "error": text[:300],
                            "memory": isinstance(e, MemoryError)})
            if requested:
                names = list(requested)
                del requested[:]
                checkpoint(names, index)
        checkpoint([q for q in questions if q not in taken], len(cells))
        send(up_w, {"t": "done"})
        _exit(0)               # the notebook's threads end here, before any test is sent

    # --- R -------------------------------------------------------------------------------------
    start = _monotonic()
    x_pid = _fork()
    if x_pid == 0:
        try:
            execute()
        finally:
            _exit(70)
    _close(down_r)
    _close(up_w)
    fcntl.fcntl(up_r, fcntl.F_SETFL, fcntl.fcntl(up_r, fcntl.F_GETFL) | os.O_NONBLOCK)

    buffer = bytearray()
    taken = []               # (pid, questions, cell) in the order X reported them
    report = {"t": "executed", "cell": None, "errors": [], "memory": None, "done": False,
              "timeout": False, "exit": None}

    def pump(deadline):
        """The framed messages in the up pipe, waiting until ``deadline`` for the first."""
        messages = []
        if _select([up_r], [], [], max(0.0, deadline - _monotonic()))[0]:
            while len(buffer) < 64 * 2**20:
                try:
                    chunk = _read(up_r, 1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                buffer.extend(chunk)
        while len(buffer) >= 4:
            size = _unpack(">I", bytes(buffer[:4]))[0]
            if size > 64 * 2**20 or len(buffer) >= 64 * 2**20:
                del buffer[:]
                to_outside({"t": "flag", "reason": "garbage on the grader's channel"})
                break
            if len(buffer) < 4 + size:
                break
            body = bytes(buffer[4:4 + size])
            del buffer[:4 + size]
            try:
                messages.append(_literal(body.decode("utf-8", "replace")))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                to_outside({"t": "flag", "reason": "garbage on the grader's channel"})
        return messages

    def handle(message, nonce=None):
        """Act on a message from X or C; return it if it is the answer with ``nonce``."""
        if not isinstance(message, dict):
            return None
        t = message.get("t")
        if t == "flag":
            to_outside({"t": "flag", "reason": str(message.get("reason"))[:300]})
        elif t == "result":
            if nonce is not None and message.get("nonce") == nonce:
                return message
            to_outside({"t": "flag", "reason": "a test result that the grader did not ask for "
                                               "reached it: something forged a result"})
        elif nonce is None and t == "cell":
            report["cell"] = message.get("cell")
            to_outside({"t": "cell", "cell": report["cell"]})
        elif nonce is None and t == "error":
            if len(report["errors"]) < 50:
                report["errors"].append([message.get("cell"), str(message.get("error"))])
            if message.get("memory") is True and report["memory"] is None:
                report["memory"] = message.get("cell")
        elif nonce is None and t == "checkpoint":
            taken.append((message.get("pid"), list(message.get("questions") or []),
                          message.get("cell")))
        elif nonce is None and t == "done":
            report["done"] = True
        return None

    # 1. wait for X: it ends by itself, or is killed at the deadline
    deadline = start + cell_deadline
    status = None
    while True:
        for m in pump(min(deadline, _monotonic() + 0.2)):
            handle(m)
        pid, status = _waitpid(x_pid, _WNOHANG)
        if pid == x_pid:
            break
        if _monotonic() >= deadline:
            report["timeout"] = True
            _kill(x_pid, _SIGKILL)
            _waitpid(x_pid, 0)
            status = None
            break
    for m in pump(_monotonic() + 0.05):
        handle(m)
    if status is not None:
        if os.WIFSIGNALED(status):
            report["exit"] = -os.WTERMSIG(status)
        elif os.WIFEXITED(status):
            report["exit"] = os.WEXITSTATUS(status)

    # 2. end everything the notebook started, except the latest checkpoint of each question
    latest = {}
    for pid, names, cell in taken:
        for q in names:
            if q in questions and isinstance(pid, int):
                latest[q] = (pid, cell)
    keep = {pid for pid, cell in latest.values()}

    def children():
        found = []
        for entry in _listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        fields = f.read().rsplit(b")", 1)[1].split()
                    if int(fields[1]) == _getpid():
                        found.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        return found

    for _ in range(100):
        others = [p for p in children() if p not in keep]
        if not others:
            break
        for p in others:
            try:
                _kill(p, _SIGKILL)
            except OSError:
                pass
        _sleep(0.01)
        for p in others:
            try:
                _waitpid(p, _WNOHANG)
            except ChildProcessError:
                pass
    report["checkpoints"] = {q: cell for q, (pid, cell) in latest.items()}
    to_outside(report)

    # 3. the tests, from the instructor's copy, only now; one checkpoint at a time
    try:
        tests = json.loads(sys.stdin.buffer.readline().decode())["tests"]
    except (ValueError, KeyError, TypeError):
        to_outside({"t": "end", "error": "no tests arrived"})
        _exit(2)

    def state_of(pid):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return None

    for pid, cell in sorted(set(latest.values()), key=lambda pc: pc[1] or 0):
        names = [q for q, v in latest.items() if v == (pid, cell)]
        limit = _monotonic() + 10
        while state_of(pid) not in (b"T", b"t", None, b"Z") and _monotonic() < limit:
            _sleep(0.002)
        nonce = _token(16)
        answer = None
        try:
            _kill(pid, _SIGCONT)
        except OSError:
            pass
        if send(down_w, {"pid": pid, "nonce": nonce,
                         "tests": {q: tests.get(q, []) for q in names}}):
            until = _monotonic() + question_timeout * max(1, len(names))
            while answer is None:
                for m in pump(min(until, _monotonic() + 0.1)):
                    got = handle(m, nonce)
                    if got is not None:
                        answer = got
                if answer is not None or _monotonic() >= until:
                    break
                try:
                    ended = _waitpid(pid, _WNOHANG)[0] == pid
                except ChildProcessError:
                    ended = state_of(pid) in (None, b"Z")
                if ended:
                    for m in pump(_monotonic() + 0.05):
                        got = handle(m, nonce)
                        if got is not None:
                            answer = got
                    break
        try:
            _kill(pid, _SIGKILL)
            _waitpid(pid, 0)
        except (OSError, ChildProcessError):
            pass
        if answer is None:
            to_outside({"t": "result", "questions": names, "cell": cell, "answers": None})
        else:
            answers = answer.get("answers") if isinstance(answer.get("answers"), dict) else {}
            to_outside({"t": "result", "questions": names, "cell": cell,
                        "answers": {q: answers.get(q) for q in names}})
    to_outside({"t": "end"})
    _exit(0)


def _start():
    import json
    config = json.loads(sys.stdin.buffer.readline().decode())
    private = {"__name__": "_grader", "__builtins__": dict(builtins.__dict__),
               "__file__": __file__}
    types.FunctionType(main.__code__, private, "main")(config)


if __name__ == "__main__":
    _start()
