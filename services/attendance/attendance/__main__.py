"""``python -m attendance`` runs the service; ``python -m attendance migrate`` applies migrations."""

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
        upgrade("attendance", settings.migration_url)
        return
    from .app import create_app

    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
