"""``python -m gateway`` runs the service; ``python -m gateway migrate`` applies migrations;
``python -m gateway load-demo [--url URL] [--dir deploy/demo]`` registers the seed tenants
and their demo rosters through the running gateway's HTTP API (and demo accounts in its
database); ``create-operator NAME`` and ``rotate-keys``: see gateway.auth.cli
(``ekinerja_shared.main``)."""

from __future__ import annotations

from ekinerja_shared.main import run

from . import demo
from .app import create_app
from .auth import cli as auth_cli
from .settings import Settings


def _load_demo(argv: list[str], settings: Settings) -> int:
    return demo.main(argv[1:], settings)


def main() -> None:
    run("gateway", Settings(), create_app,
        commands={"load-demo": _load_demo, "create-operator": auth_cli.main,
                  "rotate-keys": auth_cli.main})


if __name__ == "__main__":
    main()
