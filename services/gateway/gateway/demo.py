"""Load the seed tenants and their demo rosters through the gateway's own HTTP API (the
same validation and outbox path as any admin upload), then demo sign-in accounts (an HR,
a supervisor and an employee per regency, with a known password and flagged ``demo``)
straight into the gateway's database: no HTTP route can set a permanent password."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import httpx

from ekinerja_shared.presets import SEED_TENANTS

from .settings import Settings


def _wait_ready(client: httpx.Client, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"gateway at {client.base_url} not healthy after {timeout_s:.0f}s")
        time.sleep(1)


def load_demo(url: str, roster_dir: Path, token: str | None, wait_s: float = 120) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    report: list[str] = []
    with httpx.Client(base_url=url, headers=headers, timeout=60, trust_env=False) as client:
        _wait_ready(client, wait_s)
        for tenant_id, (name, tz, preset) in SEED_TENANTS.items():
            r = client.put(f"/api/tenants/{tenant_id}",
                           json={"name": name, "timezone": tz, "policy_preset": preset})
            r.raise_for_status()
            roster = roster_dir / f"roster-{tenant_id}.csv"
            if not roster.exists():
                report.append(f"{tenant_id}: tenant ok, no roster file {roster}")
                continue
            r = client.post(f"/api/tenants/{tenant_id}/roster", content=roster.read_bytes(),
                            headers={"Content-Type": "text/csv"})
            if r.status_code != 200:
                raise SystemExit(f"{tenant_id}: roster refused ({r.status_code}): {r.text}")
            counts = r.json()
            report.append(f"{tenant_id}: {counts['created']} created, {counts['updated']} "
                          f"updated, {counts['unchanged']} unchanged")
    return report


def main(argv: list[str], settings: Settings) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway load-demo",
                                     description="Register the seed tenants and demo rosters")
    parser.add_argument("--url", default=f"http://127.0.0.1:{settings.http_port}")
    parser.add_argument("--dir", default="deploy/demo", type=Path,
                        help="folder of roster-<tenant>.csv files")
    parser.add_argument("--wait", default=120.0, type=float,
                        help="seconds to wait for the gateway to be healthy")
    parser.add_argument("--database-url", default=settings.database_url,
                        help="the running gateway's database (for the demo accounts)")
    parser.add_argument("--no-accounts", action="store_true",
                        help="do not create the demo sign-in accounts")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for line in load_demo(args.url, args.dir, settings.admin_token, args.wait):
        print(line)
    if not args.no_accounts:
        from .auth.cli import DEMO_PASSWORD, ensure_demo_accounts

        db_settings = settings.model_copy(update={"database_url": args.database_url})
        accounts = asyncio.run(ensure_demo_accounts(db_settings, args.dir,
                                                    list(SEED_TENANTS)))
        print(f"demo sign-in (POST {args.url}/api/auth/login), password '{DEMO_PASSWORD}':")
        for a in accounts:
            print(f"  {a.tenant_id:<8} {a.role:<10} NIP {a.nip}  {a.name}")
    print(f"gateway: {args.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], Settings()))
