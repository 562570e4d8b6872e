"""Command-line use of sign-in, straight on the gateway's database (never over HTTP):
``python -m gateway create-operator NAME`` (prints a one-time password),
``python -m gateway rotate-keys``, and the demo accounts of ``load-demo``."""

from __future__ import annotations

import asyncio
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.uow import UnitOfWork

from ..settings import Settings
from . import admin
from .keys import KeyRing, SecretBox
from .passwords import Passwords

DEMO_PASSWORD = "ekinerja-demo"
_HR_POSITION = re.compile(r"kepegawaian|sumber daya manusia|sdm", re.IGNORECASE)


@dataclass(frozen=True)
class DemoAccount:
    tenant_id: str
    role: str
    nip: str
    name: str


def pick_demo_accounts(tenant_id: str, roster_csv: str) -> list[DemoAccount]:
    """From a demo roster: an employee (the last one without subordinates), their
    supervisor, and an HR (a personnel officer if the roster has one, else someone else)."""
    rows = list(csv.DictReader(roster_csv.splitlines()))
    supervisors = {r["supervisor_nip"] for r in rows if r.get("supervisor_nip")}
    leaves = [r for r in rows if r["nip"] not in supervisors and r.get("supervisor_nip")]
    if not leaves:
        return []
    employee = leaves[-1]
    boss = next(r for r in rows if r["nip"] == employee["supervisor_nip"])
    others = [r for r in rows if r["nip"] not in (employee["nip"], boss["nip"])]
    others.sort(key=lambda r: not _HR_POSITION.search(r.get("position", "")))
    picked = [("employee", employee), ("supervisor", boss)]
    if others:
        picked.insert(0, ("hr", others[0]))
    return [DemoAccount(tenant_id, role, r["nip"], r["name"]) for role, r in picked]


async def _with_db(settings: Settings) -> tuple[AsyncEngine, UnitOfWork]:
    await upgrade_async("gateway", settings.database_url)
    engine = make_engine(settings.database_url)
    return engine, UnitOfWork(make_sessionmaker(engine))


async def create_operator(settings: Settings, name: str) -> str:
    engine, uow = await _with_db(settings)
    try:
        return await uow.run(admin.create_operator, Passwords(settings), name, utcnow(),
                             actor="cli")
    finally:
        await engine.dispose()


async def rotate_keys(settings: Settings) -> str:
    engine, uow = await _with_db(settings)
    try:
        return await KeyRing(uow, settings,
                             SecretBox(settings.auth_key_encryption_secret)).rotate()
    finally:
        await engine.dispose()


async def ensure_demo_accounts(settings: Settings, roster_dir: Path,
                               tenants: list[str]) -> list[DemoAccount]:
    """Demo accounts (known password, flagged demo) for the seed regencies' rosters."""
    engine, uow = await _with_db(settings)
    passwords = Passwords(settings)
    made: list[DemoAccount] = []
    try:
        for tenant_id in tenants:
            roster = roster_dir / f"roster-{tenant_id}.csv"
            if not roster.exists():
                continue
            for account in pick_demo_accounts(tenant_id, roster.read_text()):
                await uow.in_tenant(tenant_id).run(
                    admin.ensure_demo_account, passwords, tenant_id, account.nip,
                    DEMO_PASSWORD, ["hr"] if account.role == "hr" else [], utcnow())
                made.append(account)
    finally:
        await engine.dispose()
    return made


def main(argv: list[str], settings: Settings) -> int:
    """``create-operator NAME`` | ``rotate-keys``."""
    if argv[:1] == ["create-operator"] and len(argv) == 2:
        password = asyncio.run(create_operator(settings, argv[1]))
        print(f"operator {argv[1]}: one-time password {password} (change it at first sign-in: "
              'POST /api/auth/login {"operator": ..., "password": ...})')
        return 0
    if argv == ["rotate-keys"]:
        print(f"new signing key {asyncio.run(rotate_keys(settings))}")
        return 0
    print("usage: python -m gateway create-operator NAME | rotate-keys", file=sys.stderr)
    return 2
