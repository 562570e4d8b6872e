"""``python -m scoring`` runs the service; ``python -m scoring migrate`` applies migrations;
``python -m scoring check`` and ``python -m scoring rebuild`` are described in ``cli.py``
(``ekinerja_shared.main``)."""

from __future__ import annotations

from ekinerja_shared.main import run

from . import cli
from .app import create_app
from .settings import Settings


def main() -> None:
    run("scoring", Settings(), create_app, commands={"check": cli.main, "rebuild": cli.main})


if __name__ == "__main__":
    main()
