"""docker-compose.yml and deploy/postgres/init-compose.sql, read without Docker: only the
gateway is published; every service connects as its application role (no owner, no
superuser, row-level security applies) and migrates as the owner; the backends verify the
gateway's tokens against its JWKS."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[3]
BACKENDS = {"attendance": 8001, "activity": 8002, "scoring": 8003}
SERVICES = [*BACKENDS, "gateway"]


def services() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_only_the_gateway_is_published():
    compose = services()
    for name in BACKENDS:
        assert "ports" not in compose[name], name
    assert compose["gateway"]["ports"] == ["8000:8000"]


def test_services_connect_as_their_application_role_and_migrate_as_the_owner():
    compose = services()
    for name in SERVICES:
        env = compose[name]["environment"]
        app, owner = urlsplit(env["EK_DATABASE_URL"]), urlsplit(env["EK_MIGRATION_DATABASE_URL"])
        assert (app.username, app.password) == (f"ek_{name}_app", f"ek_{name}_app"), name
        assert owner.username == f"ek_{name}", name
        assert app.path == owner.path == f"/ek_{name}" and app.hostname == owner.hostname


def test_backends_verify_the_gateways_tokens():
    compose = services()
    for name in BACKENDS:
        env = compose[name]["environment"]
        assert env["EK_AUTH_JWKS_URL"] == "http://gateway:8000/.well-known/jwks.json"
        assert "EK_ADMIN_TOKEN" not in env and "EK_AUTH_JWKS" not in env
    gateway = compose["gateway"]["environment"]
    assert gateway.get("EK_HTTP_EXPOSE_DOCS") in (None, "false")


def test_init_script_makes_application_roles_like_pg_sh():
    sql = (ROOT / "deploy" / "postgres" / "init-compose.sql").read_text()
    for name in SERVICES:
        owner, app = f"ek_{name}", f"ek_{name}_app"
        assert re.search(rf"CREATE ROLE {app} LOGIN PASSWORD '{app}' NOSUPERUSER NOBYPASSRLS;",
                         sql), name
        assert f"CREATE DATABASE {owner} OWNER {owner};" in sql
        assert f"GRANT CONNECT ON DATABASE {owner} TO {app};" in sql
        block = sql.split(f"\\connect {owner}\n", 1)[1].split("\\connect", 1)[0]
        assert f"GRANT USAGE ON SCHEMA public TO {app};" in block
        for what in ("SELECT, INSERT, UPDATE, DELETE ON TABLES", "USAGE, SELECT ON SEQUENCES",
                     "USAGE ON SCHEMAS"):
            assert f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT {what} TO {app};" in block
    assert not re.search(r"OWNER ek_\w+_app", sql)  # the application roles own nothing


def test_database_urls_set_tls_like_pg_sh():
    """Compose's URLs and the local scripts' (pg.sh) ask for the same TLS mode: asyncpg's
    default (`prefer`) would encrypt loopback traffic against Debian's cluster only."""
    compose = services()
    for name in SERVICES:
        local = [subprocess.run(["bash", str(ROOT / "deploy" / "postgres" / "pg.sh"), cmd, name],
                                capture_output=True, text=True, check=True).stdout.strip()
                 for cmd in ("url", "app-url")]
        env = compose[name]["environment"]
        urls = [env["EK_MIGRATION_DATABASE_URL"], env["EK_DATABASE_URL"]]
        assert [urlsplit(u).query for u in urls] == [urlsplit(u).query for u in local] == [
            "ssl=disable", "ssl=disable"], name
