"""Mutation testing of the pure domain modules (``make mutation``).

For each domain module, one at a time: copy the sources and tests into
``.run/mutation/<module>/`` (nothing is mutated in the working tree), generate the mutants
with cosmic-ray, run the unit tests of the module's service against each mutant (stopping at
the first failure, with a per-mutant timeout; the test files that import the module first,
then the rest; each run in a fork of a warm process, see ``forkrun.py``, or with
``--subprocess`` in new processes as cosmic-ray does) and print one JSON document: per
module the mutants killed, survived and declared equivalent, the score and the surviving
mutants.

Operators (cosmic-ray's core operators, restricted to these families, plus one of ours):
- comparison: ==, !=, <, <=, >, >= replaced by each other; ``is`` <-> ``is not``;
- arithmetic: +, -, *, /, //, %, ** replaced by each other; unary - and + swapped or dropped;
- boolean: ``and`` <-> ``or``, ``not`` added to a condition or removed;
- constants: every number +1 and -1, True <-> False;
- return values: ``return <expr>`` becomes ``return None`` (``ekinerja/ReplaceReturnValue``).

Equivalent mutants (no test can tell them from the original) are listed with a reason in
``tests/mutation/equivalent.toml`` and left out of the score:
score = killed / (mutants - equivalent).

Usage: ``.venv/bin/python tests/mutation/run_mutation.py [--module scoring/score ...]``.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cosmic_ray.plugins
import parso
import parso.python.tree
from cosmic_ray.commands import init
from cosmic_ray.mutating import mutate_and_test, use_mutation
from cosmic_ray.operators.operator import Example, Operator
from cosmic_ray.operators.provider import OperatorProvider
from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import MutationSpec, TestOutcome, WorkerOutcome, WorkItem, WorkResult
from forkrun import ForkRunner, modules_of, pytest_script, warm_up

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT_FILE = Path(__file__).with_name("equivalent.toml")
SERVICES = ("attendance", "activity", "scoring", "gateway")
FAIL_UNDER = 95.0


@dataclass(frozen=True)
class Module:
    name: str  # "<service>/<module>", or "shared/<module>" (ekinerja_shared)
    default: bool = True  # part of a plain `make mutation`

    @property
    def service(self) -> str:
        return self.name.split("/")[0]

    @property
    def path(self) -> str:
        service, module = self.name.split("/")
        if service == "shared":
            return f"shared/ekinerja_shared/{module}.py"
        return f"services/{service}/{service}/domain/{module}.py"

    @property
    def dotted(self) -> str:
        service, module = self.name.split("/")
        if service == "shared":
            return f"ekinerja_shared.{module}"
        return f"{service}.domain.{module}"


MODULES = (
    Module("attendance/rules"),
    Module("attendance/schedule"),
    Module("attendance/apel"),
    # a table of leave kinds: no operator applies (0 mutants), so not run by default
    Module("attendance/leave", default=False),
    Module("attendance/discipline"),
    Module("attendance/month_open"),
    Module("attendance/attlog"),
    Module("attendance/employment"),
    Module("activity/model"),
    Module("activity/rules"),
    Module("activity/plans"),
    Module("scoring/score"),
    Module("scoring/policy"),
    Module("scoring/ranking"),
    Module("scoring/flags"),
    Module("scoring/month_end"),
    Module("scoring/payroll"),
    Module("scoring/board"),
    Module("scoring/trend"),
    Module("scoring/pay_rules"),
    Module("scoring/payslip"),
    Module("scoring/terbilang"),
    Module("scoring/employment"),
    Module("scoring/proration"),
    Module("gateway/access"),
    Module("gateway/roster"),
    Module("gateway/tenant"),
    Module("gateway/month_check"),
    Module("gateway/employment"),
    # who supervises whom, the rule of every service: run it with --module
    # shared/supervision (its baseline, all of tests/unit/shared, is slow), so not a default
    Module("shared/supervision", default=False),
    # the rule of dated directory values (supervisor, unit histories), likewise
    Module("shared/dated", default=False),
)


# --- operators ---------------------------------------------------------------------------

_RELATIONAL = ("Eq", "NotEq", "Lt", "LtE", "Gt", "GtE")
_ARITHMETIC = ("Add", "Sub", "Mul", "Div", "FloorDiv", "Mod", "Pow")
CORE_OPERATORS = (
    *(f"ReplaceComparisonOperator_{a}_{b}"
      for a, b in itertools.permutations(_RELATIONAL, 2)),
    "ReplaceComparisonOperator_Is_IsNot",
    "ReplaceComparisonOperator_IsNot_Is",
    *(f"ReplaceBinaryOperator_{a}_{b}" for a, b in itertools.permutations(_ARITHMETIC, 2)),
    "ReplaceUnaryOperator_UAdd_USub",
    "ReplaceUnaryOperator_USub_UAdd",
    "ReplaceUnaryOperator_Delete_USub",
    "ReplaceAndWithOr",
    "ReplaceOrWithAnd",
    "AddNot",
    "ReplaceUnaryOperator_Delete_Not",
    "NumberReplacer",
    "ReplaceTrueWithFalse",
    "ReplaceFalseWithTrue",
)


class ReplaceReturnValue(Operator):
    """``return <expr>`` -> ``return None`` (a function that computes nothing)."""

    def mutation_positions(self, node):  # type: ignore[no-untyped-def]
        if isinstance(node, parso.python.tree.ReturnStmt) and len(node.children) == 2:
            value = node.children[1]
            if value.get_code().strip() != "None":
                yield (value.start_pos, value.end_pos)

    def mutate(self, node, index):  # type: ignore[no-untyped-def]
        value = node.children[1]
        prefix = value.get_first_leaf().prefix
        node.children[1] = parso.python.tree.Keyword("None", value.start_pos, prefix=prefix)
        node.children[1].parent = node
        return node

    @classmethod
    def examples(cls):  # type: ignore[no-untyped-def]
        return (Example("return x + 1", "return None"),)


class _Provider:
    def __init__(self, operators: dict[str, type[Operator]]) -> None:
        self._operators = operators

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._operators)

    def __getitem__(self, name: str) -> type[Operator]:
        return self._operators[name]


def register_operators() -> list[str]:
    """Limit cosmic-ray (in this process) to the operator families above."""
    core = OperatorProvider()
    providers = cosmic_ray.plugins.OPERATOR_PROVIDERS
    providers.clear()
    providers["core"] = _Provider({name: core[name] for name in CORE_OPERATORS})
    providers["ekinerja"] = _Provider({"ReplaceReturnValue": ReplaceReturnValue})
    return list(cosmic_ray.plugins.operator_names())


# --- equivalent mutants ------------------------------------------------------------------

def load_equivalents() -> list[dict[str, str]]:
    with EQUIVALENT_FILE.open("rb") as handle:
        entries = tomllib.load(handle).get("mutant", [])
    for entry in entries:
        missing = {"module", "operator", "before", "after", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"{EQUIVALENT_FILE}: entry {entry} lacks {sorted(missing)}")
    return entries


def diff_lines(diff: str) -> tuple[str, str]:
    """The changed lines of a mutant (stripped): the stable part of its identity."""
    before, after = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-") and line[1:].strip():
            before.append(line[1:].strip())
        elif line.startswith("+") and line[1:].strip():
            after.append(line[1:].strip())
    return "\n".join(before), "\n".join(after)


def is_equivalent(entry: dict[str, str], module: str, mutant: dict) -> bool:
    return (entry["module"] == module and entry["operator"] == mutant["operator"]
            and entry["before"] == mutant["before"] and entry["after"] == mutant["after"]
            and entry.get("function", mutant["function"]) == mutant["function"])


# --- one module --------------------------------------------------------------------------

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(work: Path) -> tuple[dict[str, str], list[str]]:
    """A private copy of the sources and tests; the environment and import path that
    import from it."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache",
                                    "*.egg-info")
    # deploy/ and the compose file: unit tests read the demo roster and check the wiring
    for name in ("shared", "services", "tests", "deploy"):
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    for name in ("pyproject.toml", "docker-compose.yml"):
        shutil.copy2(ROOT / name, work / name)
    paths = [str(work), str(work / "shared"), *(str(work / "services" / s) for s in SERVICES)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    return env, paths


# --assert=plain: a mutant needs a verdict, not an explanation; rewriting the asserts of the
# test files again in every run (no bytecode cache: the mutated file must never be read from
# a stale .pyc) was about a third of a small module's per-mutant time
PYTEST_OPTIONS = ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-profile=mutation",
                  "--assert=plain", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
# per-stage timeout of a forked run: this many times the stage's unmutated forked run
TIMEOUT_FACTOR, TIMEOUT_FLOOR = 10.0, 30.0


def test_file_of(classname: str, work: Path) -> str:
    """The test file of a JUnit ``classname``: ``tests.unit.x.test_y`` for a test function,
    ``tests.unit.x.test_y.TestZ`` for a method of a class."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        file = "/".join(parts[:end]) + ".py"
        if (work / file).is_file():
            return file
    return classname


def baseline(module: Module, work: Path,
             env: dict[str, str]) -> tuple[list[list[str]], float, list[str]]:
    """Run the service's unit tests once, unmutated (they must pass); returns the test
    files of the two stages each mutant runs, the time the tests took and the modules they
    imported (the forked runner preloads the third-party ones). First the test files that
    import the module (fastest first), then, if they all pass, the rest of the service's
    unit tests."""
    probe = subprocess.run(
        [sys.executable, "-c", f"import {module.dotted} as m; print(m.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True)
    if Path(probe.stdout.strip()).resolve() != (work / module.path).resolve():
        raise SystemExit(f"{module.name}: imports {probe.stdout.strip()}, not the copy")
    tests = work / "tests" / "unit" / module.service
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", pytest_script(
            [*PYTEST_OPTIONS, str(tests.relative_to(work)), "--junitxml=baseline.xml"])],
        cwd=work, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"{module.name}: the unmutated tests fail:\n{run.stdout[-3000:]}")
    seconds: dict[str, float] = {}
    for case in ET.parse(work / "baseline.xml").iter("testcase"):
        file = test_file_of(case.get("classname", ""), work)
        seconds[file] = seconds.get(file, 0.0) + float(case.get("time", 0))
    files = sorted((str(p.relative_to(work)) for p in tests.glob("test_*.py")),
                   key=lambda f: seconds.get(f, 0.0))
    first = [f for f in files if module.dotted in (work / f).read_text()]
    rest = [f for f in files if f not in first]
    return [group for group in (first, rest) if group], took, modules_of(run.stdout)


def test_mutant(item: WorkItem, runner: ForkRunner | None, command: str,
                timeout: float) -> WorkResult:
    """Apply the mutant (cosmic-ray), run the tests, put the original back."""
    if runner is None:  # cosmic-ray's own runner: one subprocess per stage
        return mutate_and_test(item.mutations, command, timeout)
    spec = item.mutations[0]
    operator = cosmic_ray.plugins.get_operator(spec.operator_name)(**spec.operator_args)
    with use_mutation(spec.module_path, operator, spec.occurrence) as (original, mutated):
        if mutated is None:
            return WorkResult(worker_outcome=WorkerOutcome.NO_TEST)
        passed, output = runner.run()
    diff = difflib.unified_diff(original.split("\n"), mutated.split("\n"),
                                f"a/{spec.module_path}", f"b/{spec.module_path}", lineterm="")
    return WorkResult(output=output, diff="\n".join(diff), worker_outcome=WorkerOutcome.NORMAL,
                      test_outcome=TestOutcome.SURVIVED if passed else TestOutcome.KILLED)


def run_module(module: Module, equivalents: list[dict[str, str]], run_dir: Path,
               fork: bool, first_stage: bool = False) -> dict:
    work = run_dir / module.name.replace("/", "-")
    env, sys_path = prepare(work)
    groups, base_seconds, imported = baseline(module, work, env)
    if first_stage:  # only the test files that import the module
        groups = groups[:1]
    stages = [[*PYTEST_OPTIONS, *group] for group in groups]
    timeout = max(60.0, 4 * base_seconds)  # generous: the cores are shared
    command = shlex.join(["sh", "-c", " && ".join(
        shlex.join([sys.executable, "-m", "pytest", *stage]) for stage in stages)])
    runner = None
    if fork:
        warm = warm_up(imported, (str(work),))
        runner = ForkRunner(work, sys_path, stages, timeout)
        seconds, failure = runner.calibrate(TIMEOUT_FACTOR, TIMEOUT_FLOOR)
        if failure is not None:
            raise SystemExit(f"{module.name}: the unmutated tests fail in a fork:\n{failure}")
        log(f"{module.name}: {warm} third-party modules preloaded; stages "
            + ", ".join(f"{len(g)} files {s:.1f}s (timeout {t:.0f}s)"
                        for g, s, t in zip(groups, seconds, runner.timeouts, strict=True)))
    log(f"{module.name}: baseline {base_seconds:.1f}s"
        + ("" if fork else f", timeout {timeout:.0f}s per mutant"))

    started = time.monotonic()
    cwd = Path.cwd()
    old_environ = dict(os.environ)
    os.chdir(work)
    os.environ.clear()
    os.environ.update(env)
    try:
        with use_db("session.sqlite") as db:
            init([Path(module.path)], db, {})
            items = sorted(db.work_items, key=lambda i: (
                i.mutations[0].start_pos, i.mutations[0].operator_name,
                i.mutations[0].occurrence))
            for n, item in enumerate(items, 1):
                result = test_mutant(item, runner, command, timeout)
                db.set_result(item.job_id, result)
                outcome = result.test_outcome.value if result.test_outcome else "-"
                log(f"{module.name}: {n}/{len(items)} {outcome}")
            outcomes = db.completed_work_items
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(old_environ)
    return summarise(module, outcomes, equivalents, time.monotonic() - started)


def summarise(module: Module, outcomes, equivalents: list[dict[str, str]],
              seconds: float) -> dict:
    killed = survived = equivalent = incompetent = timeouts = 0
    survivors, matched = [], []
    for item, result in sorted(outcomes, key=lambda o: o[0].mutations[0].start_pos):
        spec: MutationSpec = item.mutations[0]
        if result.worker_outcome in (WorkerOutcome.NO_TEST, WorkerOutcome.SKIPPED):
            continue
        before, after = diff_lines(result.diff or "")
        mutant = {"line": spec.start_pos[0], "operator": spec.operator_name,
                  "function": spec.definition_name or "", "before": before, "after": after}
        entry = next((e for e in equivalents if is_equivalent(e, module.name, mutant)), None)
        if entry is not None:
            equivalent += 1
            matched.append({**mutant, "reason": entry["reason"]})
        elif result.test_outcome == TestOutcome.KILLED:
            killed += 1
            timeouts += result.output == "timeout"
        elif result.test_outcome == TestOutcome.SURVIVED:
            survived += 1
            survivors.append({"at": f"{module.path}:{spec.start_pos[0]}", **mutant})
        else:
            incompetent += 1  # cosmic-ray could not run the tests: reported, not scored
    scored = killed + survived
    return {
        "path": module.path,
        "mutants": scored + equivalent + incompetent,
        "killed": killed,
        "killed_by_timeout": timeouts,
        "survived": survived,
        "equivalent": equivalent,
        "incompetent": incompetent,
        "score_pct": round(100 * killed / scored, 1) if scored else 100.0,
        "seconds": round(seconds),
        "survivors": survivors,
        "equivalents": matched,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=[m.name for m in MODULES],
                        help="only this module (repeatable); default: every default module")
    parser.add_argument("--subprocess", action="store_true",
                        help="run each mutant's tests in new processes (cosmic-ray's runner) "
                             "instead of forks of a warm process")
    parser.add_argument("--first-stage", action="store_true",
                        help="run each mutant against the test files that import the module "
                             "only (quicker; a survivor may still be killed by the rest)")
    parser.add_argument("--fail-under", type=float, default=FAIL_UNDER,
                        help="exit 1 when a module scores below this percentage")
    args = parser.parse_args(argv)
    chosen = [m for m in MODULES if (m.name in args.module if args.module else m.default)]
    operators = register_operators()
    equivalents = load_equivalents()
    run_dir = ROOT / ".run" / "mutation"
    run_dir.mkdir(parents=True, exist_ok=True)
    report: dict = {"tool": "cosmic-ray", "operators": len(operators), "modules": {}}
    for module in chosen:
        report["modules"][module.name] = run_module(module, equivalents, run_dir,
                                                 fork=not args.subprocess,
                                                 first_stage=args.first_stage)
    modules = report["modules"]
    scored = sum(r["killed"] + r["survived"] for r in modules.values())
    report["total"] = {
        "mutants": sum(r["mutants"] for r in modules.values()),
        "killed": sum(r["killed"] for r in modules.values()),
        "survived": sum(r["survived"] for r in modules.values()),
        "equivalent": sum(r["equivalent"] for r in modules.values()),
        "score_pct": round(100 * sum(r["killed"] for r in modules.values()) / scored, 1)
        if scored else 100.0,
    }
    # listed as equivalent but no longer generated: the code changed, the entry is stale
    report["stale_equivalents"] = [
        e for e in equivalents if e["module"] in modules and not any(
            is_equivalent(e, e["module"], m) for m in modules[e["module"]]["equivalents"])]
    text = json.dumps(report, indent=2, ensure_ascii=False)
    (run_dir / "report.json").write_text(text)
    print(text)
    low = [n for n, r in report["modules"].items() if r["score_pct"] < args.fail_under]
    if low:
        log(f"below {args.fail_under}%: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
