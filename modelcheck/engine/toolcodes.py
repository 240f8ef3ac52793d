"""The engine's own codes (MC9xx): a rule that crashed, a target that could not be checked.

They are ordinary documented rules, listed with every other rule by the registry, but they
are emitted by the engine rather than run. Their codes are also
:data:`modelcheck.results.TOOL_CODES`, which the results read to tell a tool failure (exit 2).
"""

from __future__ import annotations

from modelcheck.results import TOOL_CODES, Level
from modelcheck.rule import rule


@rule("MC901", "rule-crashed", Level.ERROR, tags=("tool",))
def RULE_CRASH(pkg):  # noqa: N802 - a rule object, named like a constant
    """A rule raised an exception while checking this package.

    What it checks
    The engine wraps every rule; an exception inside one becomes this finding, names the
    rule and the exception, and the other rules still run. The exit code is 2.

    Why it matters
    A crash means modelcheck could not give a verdict for that rule: the package may hide
    defects the crashed rule would have found.

    Example
    `internal error in rule MC301 (signature-invalid-json): KeyError: 'type'`

    How to fix
    Report it with the package (or a minimal copy) attached; meanwhile `--ignore` the rule.
    """
    return ()


@rule("MC902", "target-unreadable", Level.ERROR, tags=("tool",))
def TARGET_ERROR(pkg):  # noqa: N802
    """A target, or a file or folder the check needs, could not be read: it was not checked.

    What it checks
    Targets given on the command line (paths, bucket prefixes, MLflow URIs) that do not
    exist, cannot be listed or read, or hold no MLflow model package; folders met while
    looking for packages that cannot be listed; and, inside a package, every file or folder
    the rules needed that the operating system refused: permission denied, an I/O error, a
    file that vanished or stopped being a regular file while it was being checked, a folder
    that cannot be listed. The finding names the package-relative path and the OS's reason.
    All reads of a package go through one place (`ModelPackage`), which records these
    failures; the engine reports each once, after the rules ran. Per-path ignores do not
    hide it. Content that was read but is not what MLflow expects (binary, UTF-16, over the
    size limit) is not a tool failure: the rules of that file report it.

    Why it matters
    A gate that silently skips what it cannot read would pass broken deployments: a
    `requirements.txt` that modelcheck may not read is not a clean one. The exit code is 2
    (modelcheck could not do its job) until every target and file is read.

    Example
    `models/iris: no such file or directory`;
    `requirements.txt cannot be read (Permission denied): modelcheck could not check it, so
    this package is not known to be clean`;
    `artifacts cannot be listed (Permission denied): nothing in it was checked, ...`.

    How to fix
    Check the path or URL and the credentials; give the user that runs modelcheck read
    access to the files (and execute access to the folders) of the package, then run again.
    """
    return ()


@rule("MC903", "package-time-budget", Level.ERROR, tags=("tool",))
def TIME_BUDGET(pkg):  # noqa: N802
    """Checking one package took longer than its time budget; the remaining rules were skipped.

    What it checks
    The engine measures each package's check; once the budget (`--package-timeout`, default
    60 s) is spent, the rules not yet run are skipped and named in this finding.

    Why it matters
    A hostile or pathological package (millions of files, a slow network share, an enormous
    example) must not stall a gate or a bucket audit: it costs a bounded time, and the gate
    says what it could not check instead of passing silently. The exit code is 2.

    Example
    `checking this package took more than its time budget of 60 s; 12 rule(s) did not run:
    MC601, MC620, ...`

    How to fix
    Find out why the package is slow to read (size, file count, storage latency); raise the
    budget with `--package-timeout` or `package-timeout` in the config if it is legitimate.
    """
    return ()


ENGINE_RULES = (RULE_CRASH, TARGET_ERROR, TIME_BUDGET)
ENGINE_CODES = frozenset(r.code for r in ENGINE_RULES)
if ENGINE_CODES != TOOL_CODES:  # pragma: no cover - a code added in one place only
    raise ImportError(f"engine codes {sorted(ENGINE_CODES)} != results.TOOL_CODES")
