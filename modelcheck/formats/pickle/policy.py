"""What a pickle's globals mean for safety: dangerous, serialized code, or plain imports.

The policy allows what real MLflow flavors import when loading (sklearn, numpy, pandas,
xgboost, torch state dicts, cloudpickle's reconstructors...) and flags what can execute code
or reach the OS at load time. Names are compared after Unicode NFKC normalisation and case
folding, and every component of a dotted name is checked, so ``posixpath.os`` (which resolves
to the ``os`` module through an attribute) or a full-width ``ｏｓ`` are caught too.
"""

from __future__ import annotations

import unicodedata

from modelcheck.formats.pickle.scanner import PickleScan
from modelcheck.formats.pickle.values import Call, GlobalRef, Obj
from modelcheck.records import FrozenRecord

# Every global of these modules (and their submodules) is dangerous.
DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "_posixsubprocess", "_winapi", "pty", "socket",
    "_socket", "shutil", "sys", "pip", "code", "codeop", "webbrowser", "ctypes", "_ctypes",
    "runpy", "importlib", "imp", "zipimport", "pickle", "_pickle", "marshal", "shelve",
    "pydoc", "timeit", "pdb", "bdb", "cProfile", "profile", "trace", "doctest",
    "multiprocessing", "asyncio", "signal", "pkgutil", "http", "urllib", "urllib2",
    "httplib", "ftplib", "smtplib", "telnetlib", "requests", "io", "_io", "fileinput",
    "tempfile", "glob", "sysconfig", "venv", "ensurepip", "distutils", "setuptools",
    "idlelib", "tkinter", "commands", "popen2", "dill",
})
# Specific callables outside those modules.
DANGEROUS_NAMES = frozenset({
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__",
    "builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.open",
    "builtins.breakpoint", "builtins.input", "builtins.globals", "builtins.locals",
    "builtins.vars", "builtins.execfile", "builtins.help", "builtins.exit", "builtins.quit",
    "builtins.__loader__", "builtins.__build_class__", "builtins.memoryview",
    "types.CodeType", "types.FunctionType", "types.LambdaType", "types.ModuleType",
    "types.MethodType",
    "operator.attrgetter", "operator.methodcaller",
    "cloudpickle.load", "cloudpickle.loads", "cloudpickle.cloudpickle.load",
    "cloudpickle.cloudpickle.loads", "cloudpickle.cloudpickle_fast.load",
    "cloudpickle.cloudpickle_fast.loads",
    "joblib.load", "joblib.numpy_pickle.load", "joblib.numpy_pickle._unpickle",
    "torch.load", "torch.serialization.load", "torch.serialization._load",
    "torch.jit.load", "torch.hub.load", "torch.hub.download_url_to_file",
    "numpy.load", "numpy.lib.npyio.load", "numpy.testing._private.utils.runstring",
    "numpy.f2py.crackfortran.getlincoef", "numpy.distutils.exec_command.exec_command",
    "yaml.load", "yaml.unsafe_load", "yaml.full_load", "yaml.load_all",
    "copyreg.add_extension", "functools.reduce",
    "keras.models.load_model", "tensorflow.keras.models.load_model",
})
# Attribute names that, anywhere in a dotted global name, reach code execution.
DANGEROUS_ATTRS = frozenset({
    "__globals__", "__builtins__", "__subclasses__", "__code__", "__import__", "__loader__",
    "__getattribute__", "__reduce__", "__reduce_ex__", "__dict__", "system", "popen",
    "eval", "exec", "execv", "execve", "execl", "spawnv", "spawnl", "getattr", "setattr",
})
# Serialized functions/classes/code objects (cloudpickle, dill): rebuilt on load, then run.
CODE_MODULES = ("cloudpickle.cloudpickle", "cloudpickle.cloudpickle_fast", "cloudpickle",
                "dill._dill", "dill")
CODE_NAMES = frozenset({
    "_make_function", "_make_skel_func", "_fill_function", "_make_skeleton_class",
    "_make_skeleton_enum", "_rehydrate_skeleton_class", "_class_setstate",
    "_function_setstate", "_make_cell", "_make_empty_cell", "_builtin_type",
    "_create_function", "_create_code", "_create_type", "_load_type", "_create_cell",
    "_create_lock", "_create_namedtuple", "_make_dict_keys", "_make_dict_values",
    "_make_dict_items", "_make_typevar", "_get_dataclass_field_type_sentinel",
    "_import_module", "subimport", "dynamic_subimport", "_create_filehandle",
})
CODE_TYPES = frozenset({"CodeType", "FunctionType", "LambdaType", "MethodType", "ClassType",
                        "CellType", "ModuleType"})
# getattr on a constant, harmless attribute of a constructed object (bound methods pickle
# as ``getattr(obj, "method")``) is a plain import; anything else is dangerous.
# Callables that call a function they are given while they run (map/filter only when consumed,
# by list() and the like, which are plain imports): a getattr result given to one is called.
APPLIERS = frozenset({
    "builtins.map", "builtins.filter", "builtins.sorted", "builtins.min", "builtins.max",
    "builtins.iter", "itertools.starmap", "itertools.takewhile", "itertools.dropwhile",
    "itertools.filterfalse", "itertools.groupby", "itertools.accumulate", "operator.call",
    "functools.reduce", "copyreg._reconstructor", "copyreg.__newobj__",
    "copyreg.__newobj_ex__",
})


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


_FOLDED_MODULES = {fold(m) for m in DANGEROUS_MODULES}
_FOLDED_NAMES = {fold(n) for n in DANGEROUS_NAMES}
_FOLDED_ATTRS = {fold(a) for a in DANGEROUS_ATTRS}
_BUILTINS = ("builtins", "__builtin__", "__builtins__")


class Verdict(FrozenRecord):
    """What importing a pickle global means for safety."""

    _fields = ("kind", "reason")

    def __init__(self, kind: str, reason: str = "") -> None:
        init = object.__setattr__
        init(self, "kind", kind)  # "danger", "code", "import"
        init(self, "reason", reason)


# verdicts by (module, name): classify is a pure function of the two, and a bucket scan meets
# the same few hundred names in every package (bounded: a hostile pickle can name many)
_VERDICTS: dict[tuple[str, str], Verdict] = {}
_MAX_VERDICTS = 4096


def classify(ref: GlobalRef) -> Verdict:
    key = (ref.module, ref.name)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.clear()
        verdict = _VERDICTS[key] = _classify(ref)
    return verdict


def _classify(ref: GlobalRef) -> Verdict:
    module, name = ref.module, ref.name
    if module in CODE_MODULES and name in CODE_NAMES:
        return Verdict("code", f"{ref.qualname} rebuilds serialized code")
    fmod = fold(module)
    comps = fmod.split(".") + fold(name).split(".")
    odd = "" if (module + name).isascii() and module.strip() == module \
        and name.strip() == name else " (the name uses non-ASCII or space characters that " \
        "fold to it)"
    if fmod in ("__builtin__", "__builtins__"):
        fmod, comps[0] = "builtins", "builtins"
    for i in range(1, len(fmod.split(".")) + 1):
        prefix = ".".join(comps[:i])
        if prefix in _FOLDED_MODULES:
            return Verdict("danger", f"{ref.qualname} belongs to module {prefix!r}, which "
                           f"can run commands, load code or touch files{odd}")
    full = ".".join(comps)
    for n in range(len(comps), 1, -1):
        if ".".join(comps[:n]) in _FOLDED_NAMES:
            return Verdict("danger", f"{ref.qualname} can execute code or load untrusted "
                           f"data{odd}")
    attrs = comps[len(fmod.split(".")):]
    for a in attrs:
        if a in _FOLDED_MODULES or a in _BUILTINS:
            return Verdict("danger", f"{ref.qualname} reaches module {a!r} through attribute "
                           f"access{odd}")
        if a in _FOLDED_ATTRS:
            return Verdict("danger", f"{ref.qualname} reaches {a!r}, which executes code{odd}")
    if full.startswith("builtins.") and odd:
        return Verdict("danger", f"{ref.qualname} is a builtin spelled with look-alike "
                       "characters")
    return Verdict("import")


# names of builtins that run code, load code or touch files: a getattr of one of these names (on
# the builtins module, or any module or object that re-exports them) reaches them
_BUILTIN_DANGER = frozenset({"eval", "exec", "execfile", "compile", "open", "breakpoint",
                             "globals", "locals", "vars", "getattr", "setattr", "delattr"})
_CONSTANTS = (str, bytes, int, float, bool, tuple, list, dict, type(None))


def getattr_problem(call: Call) -> str:
    """Why ``getattr(target, name)`` reaches more than a bound method, or "" when it is how
    CPython pickles one: a method object reduces to ``(getattr, (obj, "name"))``, with ``obj``
    an instance built from plain imports, a plain class or a constant, and ``name`` a constant
    identifier (public or ``_private``). What it reaches is judged, not the name getattr: a
    computed name, a dunder (``__globals__``, ``__subclasses__``...), a name that runs code
    (``system``, ``eval``...), a module, a target that is itself a getattr result or a dangerous
    global, or a dotted name the policy flags (``getattr(numpy, "load")``) are dangerous."""
    if len(call.args) != 2:
        return "is called with other than (object, name) arguments"
    target, attr = call.args
    if not isinstance(attr, str):
        return "is called with an attribute name computed while loading"
    folded = fold(attr)
    if not attr.isidentifier() or not attr.isascii():
        return f"is called with the attribute name {attr!r}, not a plain identifier"
    if attr.startswith("__") and attr.endswith("__"):
        return f"reaches the special attribute {attr!r}"
    if folded in _FOLDED_ATTRS or folded in _FOLDED_MODULES or folded in _BUILTIN_DANGER \
            or folded in _BUILTINS:
        return f"reaches {attr!r}, which can run commands or load code"
    if isinstance(target, GlobalRef):
        v = classify(target)
        if v.kind != "import":
            return f"is applied to {target.qualname}: {v.reason}"
        reached = classify(GlobalRef(target.module, f"{target.name}.{attr}", target.opcode))
        if reached.kind != "import":
            return f"reaches {target.qualname}.{attr}: {reached.reason}"
        return ""
    if type(target) is Obj:
        func = target.func
        if not isinstance(func, GlobalRef):
            return "is applied to an object made by a computed callable"
        if func.qualname == "builtins.getattr":
            return "is applied to the result of another getattr"
        v = classify(func)
        if v.kind != "import":
            return f"is applied to an object made by {func.qualname}: {v.reason}"
        return ""
    if isinstance(target, _CONSTANTS):
        return ""
    return "is applied to a value only known while loading"


def _getattr_results_run(scan: PickleScan, ref: GlobalRef) -> bool:
    """Whether a result of ``ref`` (getattr) is called while loading: called directly, or given
    to a callable that calls what it is given (map, sorted...)."""
    def made_by_ref(v: object) -> bool:
        return type(v) is Obj and v.func == ref

    if any(made_by_ref(o) for o in scan.called):
        return True
    for c in scan.calls:
        if c.ref.qualname in APPLIERS:
            for a in c.args:
                if made_by_ref(a) or (isinstance(a, (tuple, list))
                                      and any(made_by_ref(x) for x in a[:64])):
                    return True
    return False


def getattr_reason(scan: PickleScan, ref: GlobalRef) -> str:
    """Why this use of ``builtins.getattr`` is dangerous, or "" when every use is a bound
    method (see :func:`getattr_problem`)."""
    calls = [c for c in scan.calls if c.ref == ref]
    if not calls:
        return ("builtins.getattr is imported but never called with arguments the scan can "
                "see, so what it reaches cannot be checked")
    for c in calls:
        why = getattr_problem(c)
        if why:
            name = repr(c.args[1]) if len(c.args) == 2 and isinstance(c.args[1], str) \
                else "<computed>"
            return f"builtins.getattr(..., {name}) {why}"
    if _getattr_results_run(scan, ref):
        return ("the result of builtins.getattr is called while loading: a pickled bound "
                "method is only rebuilt, never called")
    return ""


def dangerous(scan: PickleScan) -> list[tuple[GlobalRef | None, str]]:
    """Every dangerous global (and computed global) with its reason, first use only."""
    out: list[tuple[GlobalRef | None, str]] = []
    for ref in scan.globals:
        v = classify(ref)
        if v.kind != "danger":
            continue
        if ref.qualname == "builtins.getattr":
            why = getattr_reason(scan, ref)
            if why:
                out.append((ref, why))
            continue
        out.append((ref, v.reason))
    for d in scan.dynamic:
        out.append((None, f"{d}: the imported name is computed while loading, so it cannot "
                    "be checked"))
    return out


def serialized_code(scan: PickleScan) -> list[str]:
    """Names of the code rebuilders used (empty when the pickle holds no code)."""
    names = [ref.qualname for ref in scan.globals if classify(ref).kind == "code"
             and ref.name != "subimport"]
    for c in scan.calls:
        if c.ref.name == "_builtin_type" and c.args and c.args[0] in CODE_TYPES:
            names.append(f"{c.ref.name}({c.args[0]!r})")
    return list(dict.fromkeys(names))


def imported_modules(scan: PickleScan) -> list[str]:
    """Modules loading will import: every global's module plus cloudpickle subimports."""
    mods = [ref.module for ref in scan.globals]
    for c in scan.calls:
        if c.ref.name in ("subimport", "dynamic_subimport", "_import_module") and c.args \
                and isinstance(c.args[0], str):
            mods.append(c.args[0])
    return list(dict.fromkeys(mods))
