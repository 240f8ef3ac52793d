"""CPU of the rules on packages already fetched from a bucket, in this process.

    python bench/rules_fetched.py [PKG ...] [--repeat 300] [--per-rule [--top 25]]

Each package folder (default: the sklearn fixture the bucket bench copies most) is loaded
into a bucket package object (``ListingSource``, every file already in its cache, no
filesystem behind it) and checked with every default rule, ``--repeat`` times, best of 5
rounds: what the rules cost a bucket scan without the transport, the sockets and the other
threads. ``--per-rule`` also prints each rule's time on a fresh package ("cold": the first
rule to read a document parses it) and run again on the same package ("warm": its own work).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKLEARN = REPO / "tests" / "rules" / "MC101" / "pass" / "real-sklearn-2.5"


def loader(root: Path):
    """A function making a fresh, fully fetched bucket package of the folder ``root``."""
    from modelcheck.engine.settings import Settings
    from modelcheck.package.model_package import ModelPackage
    from modelcheck.sources.fsspec_source import ListingSource

    settings = Settings()
    files = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*")) if p.is_file()}

    def make() -> ModelPackage:
        src = ListingSource(None, "bench://fetched", {k: len(v) for k, v in files.items()},
                            root.name)
        for rel, data in files.items():
            src._keep(rel, data)  # what a batch fetch leaves behind
        return ModelPackage(src, root.name, text_cap=settings.text_cap,
                            pickle_cap=settings.max_pickle_bytes)

    return make


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*", type=Path, default=[SKLEARN])
    ap.add_argument("--repeat", type=int, default=300)
    ap.add_argument("--per-rule", action="store_true")
    ap.add_argument("--top", type=int, default=25, help="rules shown by --per-rule")
    args = ap.parse_args()

    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import check_package_obj, select_rules
    from modelcheck.engine.settings import Settings

    settings = Settings()
    rules = select_rules(all_rules(), settings)
    for root in args.packages:
        make = loader(root)
        found = check_package_obj(make(), rules, settings).findings
        for _ in range(20):  # warm: imports, tables, shared caches
            check_package_obj(make(), rules, settings)
        best = float("inf")
        for _ in range(5):
            t = time.process_time()
            for _ in range(args.repeat):
                check_package_obj(make(), rules, settings)
            best = min(best, (time.process_time() - t) / args.repeat)
        print(f"{root.name}: {best * 1e6:.0f} us of CPU per package "
              f"({len(found)} findings, {len(rules)} rules)")
        if args.per_rule:
            per_rule(make, rules, args.repeat, args.top)


def per_rule(make, rules, repeat: int, top: int = 25) -> None:
    from modelcheck.engine.toolcodes import ENGINE_CODES  # reported by the engine, not run

    clock = time.perf_counter_ns
    runnable = [r for r in rules.values() if r.code not in ENGINE_CODES]
    cold = dict.fromkeys((r.code for r in runnable), 0)
    warm = dict(cold)
    for _ in range(repeat):
        pkg = make()
        for seen in (cold, warm):
            for r in runnable:
                t = clock()
                try:
                    hits = r.func(pkg)
                    if hits is not None:
                        list(hits)
                except Exception:  # noqa: BLE001, S110 - the engine reports it; timed the same
                    pass
                seen[r.code] += clock() - t
    print(f"  every rule: cold {sum(cold.values()) / repeat / 1000:.0f} us, "
          f"warm {sum(warm.values()) / repeat / 1000:.0f} us")
    for code in sorted(cold, key=lambda c: -cold[c])[:top]:
        print(f"  {code}  cold {cold[code] / repeat / 1000:7.1f} us  "
              f"warm {warm[code] / repeat / 1000:7.1f} us")


if __name__ == "__main__":
    main()
