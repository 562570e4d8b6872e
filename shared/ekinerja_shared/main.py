"""The one entry point of every service process: ``python -m <service>`` serves the app,
``python -m <service> migrate`` applies the service's migrations (as the tables' owner,
``EK_MIGRATION_DATABASE_URL``), ``python -m <service> relay`` runs its outbox relay alone
(beside HTTP instances started with ``EK_OUTBOX_RELAY_IN_PROCESS=false``), and a service may add its own commands (the gateway's
``load-demo``, scoring's ``check`` ...), each given the arguments from the command's name
on and the settings, and returning the exit status.

    def main() -> None:
        run("scoring", Settings(), create_app, commands={"check": cli.main})
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from fastapi import FastAPI

from .logs import configure_logging
from .migrations import upgrade
from .service import serve, serve_relay
from .settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)
Command = Callable[[list[str], S], int]


def run(package: str, settings: S, create_app: Callable[[S], FastAPI], *,
        commands: Mapping[str, Command[S]] | None = None,
        argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    configure_logging(settings.log_level, settings.service_name)
    if args[:1] == ["migrate"]:
        upgrade(package, settings.migration_url)
        return
    if args[:1] == ["relay"]:
        serve_relay(create_app(settings))
        return
    command = (commands or {}).get(args[0]) if args else None
    if command is not None:
        sys.exit(command(args, settings))
    if args:
        names = " | ".join(["migrate", "relay", *(commands or {})])
        sys.exit(f"usage: python -m {package} [{names}]")
    serve(create_app(settings), settings)
