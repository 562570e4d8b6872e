"""Sign-in use cases and the key ring on a migrated SQLite database (the `make up` store):
demo and operator accounts, sign-in, key creation, rotation by age, retirement from the
JWKS, encrypted private keys. No broker: nothing here publishes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.identity import Unauthenticated
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.presets import SEED_TENANTS
from ekinerja_shared.tokens import StaticKeysAuthenticator, unverified_header
from ekinerja_shared.uow import UnitOfWork
from gateway.auth import admin
from gateway.auth.cli import DEMO_PASSWORD, ensure_demo_accounts, pick_demo_accounts
from gateway.auth.keys import KeyRing, SecretBox
from gateway.auth.orm import SigningKey
from gateway.auth.rules import PLATFORM
from gateway.auth.sessions import AuthService
from gateway.auth.store import Source
from gateway.domain.tenant import check_tenant
from gateway.service_layer import services
from gateway.settings import Settings

DEMO_DIR = Path(__file__).resolve().parents[3] / "deploy" / "demo"
T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
async def db(tmp_path_factory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('gateway') / 'gateway.db'}"
    await upgrade_async("gateway", url)
    engine = make_engine(url)
    yield url, make_sessionmaker(engine)
    await engine.dispose()


def settings_for(url: str, **over) -> Settings:
    return Settings(database_url=url, auth_argon2_memory_kib=8192, auth_argon2_time_cost=1,
                    **over)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def test_demo_accounts_sign_in_with_the_known_password(db):
    url, sm = db
    async with sm() as s, s.begin():
        name, zone, preset = SEED_TENANTS["kediri"]
        await services.upsert_tenant(s, check_tenant("kediri", name, zone, preset))
        await services.load_roster(s, "kediri", (DEMO_DIR / "roster-kediri.csv").read_text())
    settings = settings_for(url)
    made = await ensure_demo_accounts(settings, DEMO_DIR, ["kediri", "nowhere"])
    assert [a.role for a in made] == ["hr", "employee", "supervisor"]
    assert made == pick_demo_accounts("kediri", (DEMO_DIR / "roster-kediri.csv").read_text())
    again = await ensure_demo_accounts(settings, DEMO_DIR, ["kediri"])  # idempotent
    assert again == made

    auth = AuthService(UnitOfWork(sm), settings, KeyRing(UnitOfWork(sm), settings, SecretBox(None)))
    hr = next(a for a in made if a.role == "hr")
    issued = await auth.login("kediri", hr.nip, DEMO_PASSWORD, Source(ip="127.0.0.1"))
    assert not issued.restricted and issued.refresh_token
    assert issued.claims["roles"] == ["employee", "hr", "supervisor"]  # the Camat leads
    async with sm() as s:
        view = await admin.account_view(s, "kediri", hr.nip)
    assert view.demo and not view.must_change and view.last_login_at is not None
    jwks = await auth.keys.jwks()
    caller = await StaticKeysAuthenticator(jwks, issuer="ekinerja").authenticate(
        f"Bearer {issued.access_token}", {})
    assert caller.tenant_id == "kediri" and caller.nip == hr.nip


async def test_operator_account_signs_in_platform_wide(db):
    url, sm = db
    settings = settings_for(url)
    auth = AuthService(UnitOfWork(sm), settings, KeyRing(UnitOfWork(sm), settings, SecretBox(None)))
    async with sm() as s, s.begin():
        otp = await admin.create_operator(s, auth.passwords, "ops-1", T0, actor="cli")
    first = await auth.login(PLATFORM, "ops-1", otp, Source())
    assert first.restricted and first.refresh_token is None
    verifier = StaticKeysAuthenticator(await auth.keys.jwks(), issuer="ekinerja",
                                       audience="ekinerja:password-change")
    caller = await verifier.authenticate(f"Bearer {first.access_token}", {})
    assert caller.subject == "operator:ops-1" and caller.is_operator
    issued = await auth.change_password(caller, otp, "operator-baru-yang-kuat", Source())
    assert issued.claims["sub"] == "operator:ops-1" and issued.claims["tid"] is None
    assert issued.claims["roles"] == ["operator"]
    with pytest.raises(Unauthenticated):
        await auth.login(PLATFORM, "ops-1", otp, Source())


async def test_first_use_creates_a_key_and_an_old_key_is_rotated_on_the_way(db):
    url, sm = db
    async with sm() as s, s.begin():
        for key in await s.scalars(select(SigningKey)):
            await s.delete(key)
    clock = Clock(T0)
    settings = settings_for(url, auth_key_rotation_days=30, auth_key_publish_ahead_s=60,
                            auth_access_ttl_s=600, auth_client_token_ttl_s=300,
                            auth_leeway_s=30)
    ring = KeyRing(UnitOfWork(sm), settings, SecretBox(None), clock=clock)
    first = unverified_header(await ring.sign({"a": 1}))["kid"]
    assert [k["kid"] for k in (await ring.jwks())["keys"]] == [first]

    clock.now = T0 + dt.timedelta(days=31)  # older than the rotation period
    token = await ring.sign({"a": 2})
    published = [k["kid"] for k in (await ring.jwks())["keys"]]
    assert len(published) == 2 and published[1] == first
    second = published[0]
    # published ahead: the old key still signs for a minute
    assert unverified_header(token)["kid"] == first
    clock.now += dt.timedelta(seconds=61)
    assert unverified_header(await ring.sign({"a": 3}))["kid"] == second
    # the old key stays published while its tokens may live: 600 s + 30 s after retirement
    clock.now += dt.timedelta(seconds=628)
    assert first in [k["kid"] for k in (await ring.jwks())["keys"]]
    clock.now += dt.timedelta(seconds=2)
    assert [k["kid"] for k in (await ring.jwks())["keys"]] == [second]


async def test_private_keys_are_stored_encrypted_when_a_secret_is_set(db, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'enc.db'}"
    await upgrade_async("gateway", url)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    try:
        settings = settings_for(url)
        ring = KeyRing(UnitOfWork(sm), settings, SecretBox("rahasia-kunci-panjang"))
        token = await ring.sign({"x": 1})
        async with sm() as s:
            row = (await s.scalars(select(SigningKey))).one()
        assert row.encrypted and row.private_jwk.count(".") == 4  # a compact JWE
        assert '"d"' not in row.private_jwk and "d" not in row.public_jwk
        # another instance with the same secret signs with the same key
        other = KeyRing(UnitOfWork(sm), settings, SecretBox("rahasia-kunci-panjang"))
        assert unverified_header(await other.sign({"x": 2}))["kid"] == \
            unverified_header(token)["kid"]
        # without the secret the key cannot be used: a clear error, not a silent new key
        with pytest.raises(RuntimeError, match="EK_AUTH_KEY_ENCRYPTION_SECRET"):
            await KeyRing(UnitOfWork(sm), settings, SecretBox(None)).sign({"x": 3})
        box = SecretBox("rahasia-kunci-panjang")
        sealed, encrypted = box.seal(json.dumps({"s": "klien"}))
        assert encrypted and "klien" not in sealed
        assert json.loads(box.open(sealed, True)) == {"s": "klien"}
        assert SecretBox(None).seal("polos") == ("polos", False)
    finally:
        await engine.dispose()
