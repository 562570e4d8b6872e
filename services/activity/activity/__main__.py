"""``python -m activity`` runs the service; ``python -m activity migrate`` applies migrations
(``ekinerja_shared.main``)."""

from __future__ import annotations

from ekinerja_shared.main import run

from .app import create_app
from .settings import Settings


def main() -> None:
    run("activity", Settings(), create_app)


if __name__ == "__main__":
    main()
