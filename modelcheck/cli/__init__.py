"""Command line: ``modelcheck [check] PATH...``, ``modelcheck rules``, ``modelcheck rule CODE``.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage/config error or the tool
could not do its job (unreadable target, rule crash); 130/143 stopped by SIGINT/SIGTERM (the
reports asked for are written with the packages checked before it, marked partial).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from modelcheck.cli.outputs import (
    JsonLines,
    options_key,
    resolve_outputs,
    stdout_gone,
    write_reports,
    write_stdout,
)
from modelcheck.cli.parser import UsageError, build_parser, parse_show_level, split_list
from modelcheck.cli.signals import Signals, interrupt_code

COMMANDS = ("check", "rules", "rule", "formats")


def _cmd_formats() -> int:
    from modelcheck.reporters import DESCRIPTIONS, FORMATS

    width = max(len(f) for f in FORMATS)
    for f in FORMATS:
        print(f"{f:<{width}}  {DESCRIPTIONS.get(f, '')}")
    return 0


def _cmd_rules() -> int:
    from modelcheck.engine.registry import all_rules

    for code, r in all_rules().items():
        print(f"{code}  {r.meta.level!s:<7}  {r.meta.name:<38}  {r.meta.summary}")
    return 0


def _cmd_rule(code: str) -> int:
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.settings import code_problem

    rules = all_rules()
    r = rules.get(code.upper())
    if r is None:
        group = [c for c in rules if c.startswith(code.upper())]
        if group:
            more = f"; codes that start with it: {', '.join(group[:8])}"
            more += ", ..." if len(group) > 8 else ""
        else:
            problem = code_problem(code.upper(), list(rules), "rule") or ""
            more = problem[problem.index("; did you"):problem.index("?") + 1] \
                if "; did you" in problem else ""
        print(f"modelcheck: no rule {code!r}{more} (see 'modelcheck rules')", file=sys.stderr)
        return 2
    m = r.meta
    print(f"{m.code} {m.name} (default level: {m.level})")
    if m.tags:
        print(f"tags: {', '.join(m.tags)}")
    print()
    print(m.doc)
    from modelcheck.engine.ruledocs import fix_line

    fix = fix_line(m.code)
    print(f"\n{fix}" if fix else "\nFix: none (modelcheck --fix does not change this)")
    return 0


# -- settings --------------------------------------------------------------------------------


def settings_of(args):
    """The settings of a ``check``: the config found from the targets (or ``--config``), the
    command line on top, validated against the registered rules before any work."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.settings import config_for_targets, load_settings, validate
    from modelcheck.results import Level

    path = config_for_targets(list(args.targets), args.config)
    s = load_settings(".", path) if path else load_settings(os.devnull + "/none")
    for attr, opt in (("select", "--select"), ("extend_select", "--extend-select"),
                      ("ignore", "--ignore")):
        v = split_list(getattr(args, attr))
        if v is not None:
            setattr(s, attr, v)
            s.origins[attr] = opt
    if args.fail_on:
        s.fail_on = Level.parse(args.fail_on)
        s.origins["fail_on"] = "--fail-on"
    if args.show_level is not None:
        s.show_level = parse_show_level(args.show_level)
        s.origins["show_level"] = "--show-level"
    if args.baseline:
        s.baseline = args.baseline
        s.origins["baseline"] = "--baseline"
    if args.write_baseline:
        s.baseline = None
    for attr, opt in (("jobs", "--jobs"), ("package_timeout", "--package-timeout"),
                      ("max_pickle_bytes", "--max-pickle-bytes")):
        v = getattr(args, attr)
        if v is not None:
            setattr(s, attr, v)
            s.origins[attr] = opt
    for kv in args.storage_option:
        if "=" not in kv:
            raise UsageError(f"--storage-option expects KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        s.storage_options[k] = v
        s.origins["storage_options"] = "--storage-option"
    validate(s, list(all_rules()))
    return s


_SHOWN = (("select", "select"), ("extend-select", "extend_select"), ("ignore", "ignore"),
          ("per-path-ignores", "per_path_ignores"), ("severity", "severity"),
          ("fail-on", "fail_on"), ("show-level", "show_level"), ("exclude", "exclude"),
          ("baseline", "baseline"),
          ("jobs", "jobs"), ("package-timeout", "package_timeout"),
          ("max-file-bytes", "text_cap"), ("max-pickle-bytes", "max_pickle_bytes"),
          ("max-package-read-bytes", "package_read_bytes"),
          ("storage-options", "storage_options"))


def show_settings(s) -> int:
    import json

    where = os.path.abspath(s.config_path) if s.config_path else "none (defaults)"
    print(f"# config: {where}")
    for key, attr in _SHOWN:
        v = getattr(s, attr)
        v = str(v) if attr in ("fail_on", "show_level") else v
        print(f"{key} = {json.dumps(v)}  # {s.origins.get(attr, 'default')}")
    return 0


def show_files(targets: list[str], settings) -> int:
    """The packages a check would check, one per line (excluded ones left out)."""
    from modelcheck.sources.discovery import discover

    local = [t for t in targets if not _is_remote(t)]
    found, errors = discover(local)
    shown = [t.display for t in found if not settings.excluded(t.display)]
    for t in targets:
        if _is_remote(t):
            from modelcheck.scan.remote import plan
            from modelcheck.sources.plan import TargetFailed

            try:
                shown += [j.display for j in plan(t, settings)
                          if not settings.excluded(j.display)]
            except TargetFailed as exc:
                errors.append(f"{t}: {exc}")
    for d in shown:
        print(d)
    for msg in errors:
        print(f"modelcheck: {msg}", file=sys.stderr)
    return 2 if errors else 0


def _is_remote(target: str) -> bool:
    return "://" in target or target.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


# -- outputs ---------------------------------------------------------------------------------


def _cmd_check(args, argv: list[str] | None = None) -> int:
    with Signals() as signals:
        return _check_with(args, signals, argv)


def _check_with(args, signals: Signals, argv: list[str] | None = None) -> int:
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError

    try:
        outputs = resolve_outputs(args)
        settings = settings_of(args)
    except (UsageError, ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return 2
    if args.show_settings:
        return show_settings(settings)
    batch = None
    if args.hook:
        from modelcheck.integrations.precommit import Batch, hook_targets

        args.targets = hook_targets(args.targets, settings)
        batch = Batch.of_run(args.targets, options_key(args))
        if batch is not None:
            args.targets = batch.unchecked()
        if not args.targets:
            if batch is not None:
                batch.finish(None, args)
                line = batch.summary() if batch.earlier > 1 else None
                if line:
                    write_stdout(line + "\n")
            return 0
    if args.show_files:
        return show_files(list(args.targets), settings)
    if args.fix or args.diff or args.unsafe_fixes:
        if not (args.fix or args.diff):
            print("modelcheck: --unsafe-fixes needs --fix or --diff", file=sys.stderr)
            return 2
        from modelcheck.cli.fixing import run_fix

        return run_fix(args, settings, outputs)
    streamed = JsonLines(outputs, settings.show_level)  # files opened before any work
    for path, why in streamed.failed.items():
        streamed.close()
        print(f"modelcheck: cannot write the json-lines report to {path}: {why}",
              file=sys.stderr)
        return 2
    report = None
    try:
        report = _run_check(args, settings, signals,
                            streamed.guarded(signals) if streamed else None)
    finally:
        if report is None:
            streamed.close()
    if report is None:
        return 2
    signals.writing = True
    streamed.catch_up(report)
    from modelcheck.reporters import shown

    full = report
    report, hidden = shown(full, settings.show_level)
    status = write_reports(report, outputs, args, summary=batch is None, hidden=hidden,
                          argv=argv, streamed=streamed or None)
    report = full  # the exit code, the baseline and the pre-commit cache count every level
    if batch is not None:
        status = max(status, batch.finish(report, args))
        line = batch.summary() if outputs[0] == ("text", None) else None
        if line:
            write_stdout(line + "\n")
    code = _finish(report, args, settings)
    if signals.signal is not None and report.interrupted is None:
        print(f"modelcheck: {signals.signal} while the reports were written; they are "
              "complete", file=sys.stderr)
        return interrupt_code(signals.signal)
    return code if code >= 2 else max(code, status)  # a report not written: exit 2


def _run_check(args, settings, signals: Signals, on_package=None):
    """The report (partial when a signal stopped the scan), or None after a tool error.
    ``on_package`` gets each package's result as it is checked (json-lines streams)."""
    from modelcheck.api import check
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError
    from modelcheck.results import Interrupted, Report

    try:
        if args.dask is not None:  # on a Dask cluster (see modelcheck.scan.cluster)
            return _check_on_dask(args, settings, on_package)
        return check(args.targets, settings, progress=_progress(not args.no_progress),
                     on_package=on_package)
    except Interrupted as exc:
        signals.writing = True
        report = exc.report if exc.report is not None else Report(interrupted=exc.signal)
        print(f"\nmodelcheck: interrupted by {exc.signal}: {len(report.packages)} package(s) "
              "were checked before it; the reports are partial", file=sys.stderr)
        return report
    except (ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return None


def _check_on_dask(args, settings, on_package=None):
    """The report of a check on the Dask cluster of ``--dask``, or None (said why on stderr)
    when the cluster cannot be used."""
    from modelcheck.api import check
    from modelcheck.scan.cluster import ClusterError, dask_executor, scheduler_address

    try:
        with dask_executor(scheduler_address(args.dask)) as executor:
            return check(args.targets, settings, progress=_progress(not args.no_progress),
                         executor=executor, on_package=on_package)
    except ClusterError as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return None


def _finish(report, args, settings) -> int:
    if report.interrupted:
        if args.write_baseline:
            print(f"modelcheck: {args.write_baseline} not written: the run was interrupted",
                  file=sys.stderr)
        return report.exit_code()
    if args.write_baseline:
        from modelcheck.engine.baseline import write_baseline

        n = write_baseline(report, args.write_baseline)
        print(f"modelcheck: wrote {n} findings to {args.write_baseline}", file=sys.stderr)
        return 2 if report.tool_failed else 0
    code = report.exit_code(settings.fail_on)
    if args.exit_zero and code == 1:
        return 0
    return code


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None

    def show(i: int, n: int) -> None:
        if n < 5:
            return
        width = 30
        done = int(width * i / n)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} packages")
        if i == n:
            sys.stderr.write("\r" + " " * (width + 30) + "\r")
        sys.stderr.flush()

    return show


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["check", *argv]
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            print(f"modelcheck: {exc}", file=sys.stderr)
            return 2
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0)
        if args.command == "rules":
            return _cmd_rules()
        if args.command == "rule":
            return _cmd_rule(args.code)
        if args.command == "formats":
            return _cmd_formats()
        return _cmd_check(args, argv[1:])
    except BrokenPipeError:  # stdout's reader has gone (| head): end quietly
        stdout_gone()
        return 0
    except KeyboardInterrupt as exc:  # a signal outside a scan (start-up, listing rules)
        name = getattr(exc, "signal", "SIGINT")
        print(f"\nmodelcheck: interrupted by {name}", file=sys.stderr)
        return interrupt_code(name)


def run() -> None:
    """The console entry point: :func:`main`, then an immediate exit.

    Once the report is written nothing is left to do, but a normal interpreter exit would
    still tear down every module and collect every object: about 8% of a one-package check.
    Output is flushed first; files, pools and threads are all closed by ``main`` already.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
