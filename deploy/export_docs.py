"""Write each service's OpenAPI (FastAPI) and AsyncAPI (FastStream) documents to a folder
(default docs/api). Nothing is started: the apps are built, not run. `make docs`."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from faststream.specification import AsyncAPI

SERVICES = ("gateway", "attendance", "activity", "scoring")


def main(out: str = "docs/api") -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for svc in SERVICES:
        app = importlib.import_module(f"{svc}.app").create_app()
        rt = app.state.runtime
        (folder / f"{svc}.openapi.json").write_text(json.dumps(app.openapi(), indent=2) + "\n")
        spec = AsyncAPI(rt.broker, title=f"{app.title} events", version="0.1.0",
                        schema_version="3.0.0")
        (folder / f"{svc}.asyncapi.json").write_text(
            json.dumps(spec.to_specification().to_jsonable(), indent=2, sort_keys=True) + "\n")
        print(f"{svc}: {folder}/{svc}.openapi.json, {folder}/{svc}.asyncapi.json")


if __name__ == "__main__":
    main(*sys.argv[1:])
