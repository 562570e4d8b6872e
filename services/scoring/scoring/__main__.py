"""``python -m scoring`` runs the service; ``python -m scoring migrate`` applies migrations;
``python -m scoring check`` and ``python -m scoring rebuild`` are described in ``cli.py``."""

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
        upgrade("scoring", settings.migration_url)
        return
    if sys.argv[1:2] in (["check"], ["rebuild"]):
        from .cli import main as cli_main

        sys.exit(cli_main(sys.argv[1:], settings))
    from .app import create_app

    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
