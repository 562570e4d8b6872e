"""`make mutation` covers every domain module of the four services: the runner's default
list is every ``services/*/*/domain/*.py`` (``__init__`` aside) but those cosmic-ray finds
no mutant in (their baseline would cost minutes for nothing), plus the shared rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "mutation"))

run_mutation = pytest.importorskip("run_mutation")


def _mutants(path: Path, tmp_path: Path) -> int:
    from cosmic_ray.commands import init
    from cosmic_ray.work_db import use_db

    with use_db(str(tmp_path / f"{path.stem}.sqlite")) as db:
        init([path], db, {})
        return db.num_work_items


def test_the_default_modules_are_every_domain_module_with_a_mutant(tmp_path: Path) -> None:
    run_mutation.register_operators()
    listed = {m.path: m for m in run_mutation.MODULES}
    domain = sorted(p for p in ROOT.glob("services/*/*/domain/*.py") if p.name != "__init__.py")
    assert domain, "no domain module found"
    for path in domain:
        rel = str(path.relative_to(ROOT))
        assert rel in listed, f"{rel} is not in the mutation runner's MODULES"
        if not listed[rel].default:  # only a module without a mutant may be left out
            assert _mutants(path, tmp_path) == 0, rel
    for module in run_mutation.MODULES:
        assert (ROOT / module.path).is_file(), module.name
