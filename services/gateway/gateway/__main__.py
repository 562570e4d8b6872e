"""``python -m gateway`` runs the service; ``python -m gateway migrate`` applies migrations;
``python -m gateway load-demo [--url URL] [--dir deploy/demo]`` registers the seed tenants
and their demo rosters through the running gateway's HTTP API (and demo accounts in its
database); ``create-operator NAME`` and ``rotate-keys``: see gateway.auth.cli."""

from __future__ import annotations

import sys

from ekinerja_shared.logs import configure_logging
from ekinerja_shared.migrations import upgrade
from ekinerja_shared.service import serve

from .settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.service_name)
    if sys.argv[1:2] == ["migrate"]:
        upgrade("gateway", settings.migration_url)
        return
    if sys.argv[1:2] == ["load-demo"]:
        from .demo import main as load_demo

        sys.exit(load_demo(sys.argv[2:], settings))
    if sys.argv[1:2] in (["create-operator"], ["rotate-keys"]):
        from .auth.cli import main as auth_cli

        sys.exit(auth_cli(sys.argv[1:], settings))
    from .app import create_app

    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
