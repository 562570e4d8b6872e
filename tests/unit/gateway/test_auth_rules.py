"""The pure rules of sign-in: passwords, throttling, roles, scopes, token claims, redirects."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekinerja_shared.errors import DomainError
from ekinerja_shared.identity import Role
from ekinerja_shared.tokens import AUDIENCE, PASSWORD_CHANGE_AUDIENCE
from gateway.auth.rules import (
    ThrottlePolicy,
    access_claims,
    after_failure,
    check_grantable,
    check_new_password,
    check_scopes,
    person_roles,
    retry_after_s,
    safe_next,
    throttled_message,
)

NIP = "198507082010012011"
T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
POLICY = ThrottlePolicy(max_failures=3, window_s=900, lock_s=600)


def refused(new: str, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        check_new_password(new, nip=NIP, tenant_id="cilegon", **kw)
    return info.value


def test_a_long_unguessable_password_is_accepted():
    check_new_password("sawah hijau di Cilegon 7", nip=NIP, tenant_id="kediri")
    check_new_password("Tiga-kucing-tidur", nip=NIP, tenant_id="cilegon", current="lama-sekali")


@pytest.mark.parametrize("password,fragment", [
    ("pendek", "minimal 10"),
    ("x" * 129, "maksimal 128"),
    (" spasi-di-depan", "spasi"),
    ("aaaaaaaaaaaa", "terlalu mudah"),
    ("abababab1abab", "terlalu mudah"),
    (f"nip{NIP}", "NIP"),
    ("cilegon-hebat-sekali", "kode instansi"),
    ("Password123", "terlalu umum"),
    ("bismillah123", "terlalu umum"),
    ("abcdefghijklm", "terlalu umum"),
    ("9876543210", "terlalu umum"),
])
def test_weak_passwords_are_refused_with_the_reason(password, fragment):
    err = refused(password)
    assert fragment in err.message and err.code == "weak_password"


def test_the_new_password_must_differ_from_the_current_one():
    assert refused("sama-persis-saja", current="sama-persis-saja").code == "password_reused"


def test_throttle_locks_after_max_failures_within_the_window():
    state = None
    for i in range(2):
        state = after_failure(state, T0 + dt.timedelta(seconds=i), POLICY)
        assert retry_after_s(state, T0 + dt.timedelta(seconds=i)) == 0
    state = after_failure(state, T0 + dt.timedelta(seconds=10), POLICY)
    assert state.failures == 3
    assert retry_after_s(state, T0 + dt.timedelta(seconds=10)) == 600
    assert retry_after_s(state, T0 + dt.timedelta(seconds=609.5)) == 1
    assert retry_after_s(state, T0 + dt.timedelta(seconds=610)) == 0


def test_failures_outside_the_window_start_a_new_one():
    state = after_failure(None, T0, POLICY)
    state = after_failure(state, T0 + dt.timedelta(seconds=100), POLICY)
    state = after_failure(state, T0 + dt.timedelta(seconds=900), POLICY)  # window over
    assert state.failures == 1 and state.window_start == T0 + dt.timedelta(seconds=900)
    assert retry_after_s(state, T0 + dt.timedelta(seconds=900)) == 0


def test_after_a_lock_has_passed_counting_starts_again():
    state = None
    for i in range(3):
        state = after_failure(state, T0, POLICY)
    later = T0 + dt.timedelta(seconds=601)
    state = after_failure(state, later, POLICY)
    assert state.failures == 1 and state.locked_until is None


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=30))
def test_never_locked_with_fewer_failures_than_the_maximum_in_any_window(offsets):
    """Whatever the timing, a lock needs max_failures failures within one window."""
    state = None
    times = sorted(T0 + dt.timedelta(seconds=o) for o in offsets)
    for i, t in enumerate(times):
        state = after_failure(state, t, POLICY)
        if state.locked_until is not None and state.locked_until > t:
            in_window = [u for u in times[:i + 1]
                         if (t - u).total_seconds() < POLICY.window_s]
            assert len(in_window) >= POLICY.max_failures


def test_throttled_message_is_in_minutes_rounded_up():
    assert throttled_message(61) == ("Terlalu banyak percobaan masuk yang gagal. Coba lagi "
                                     "dalam 2 menit.")
    assert "1 menit" in throttled_message(5)


def test_roles_follow_the_directory_and_the_grants():
    assert person_roles(active=True, is_supervisor=False, granted=[]) == {Role.EMPLOYEE}
    assert person_roles(active=True, is_supervisor=True, granted=["hr"]) == {
        Role.EMPLOYEE, Role.SUPERVISOR, Role.HR}
    # a grant the account cannot hold (operator) is never derived from stored data
    assert person_roles(active=True, is_supervisor=False, granted=["operator", "leader"]) == {
        Role.EMPLOYEE, Role.LEADER}
    assert person_roles(active=False, is_supervisor=True, granted=["hr"]) == frozenset()


def test_only_hr_leader_and_verifier_can_be_granted():
    assert check_grantable(["hr", "verifier", "hr"]) == {Role.HR, Role.VERIFIER}
    for bad in (["operator"], ["supervisor"], ["employee"], ["raja"]):
        with pytest.raises(DomainError) as info:
            check_grantable(bad)
        assert info.value.code == "invalid_role"


def test_scopes_are_known_and_within_the_clients_grants():
    assert check_scopes(["scores.read", "directory.read", "scores.read"]) == [
        "directory.read", "scores.read"]
    assert check_scopes(["scores.read"], allowed=["scores.read", "tpp.read"]) == ["scores.read"]
    with pytest.raises(DomainError, match="tidak dikenal"):
        check_scopes(["root"])
    with pytest.raises(DomainError, match="tidak diizinkan"):
        check_scopes(["tpp.read"], allowed=["scores.read"])


def test_access_claims_follow_the_contract():
    claims = access_claims(issuer="ekinerja", subject=f"cilegon:{NIP}", kind="user",
                           tenant_id="cilegon", nip=NIP, roles={Role.SUPERVISOR, Role.EMPLOYEE},
                           now=T0, ttl_s=600, jti="j1")
    assert claims == {"iss": "ekinerja", "aud": AUDIENCE, "sub": f"cilegon:{NIP}",
                      "tid": "cilegon", "nip": NIP, "roles": ["employee", "supervisor"],
                      "kind": "user", "iat": int(T0.timestamp()),
                      "exp": int(T0.timestamp()) + 600, "jti": "j1"}
    client = access_claims(issuer="ekinerja", subject="client:c1", kind="client",
                           tenant_id="cilegon", nip=None, roles=(), scopes=["b", "a"], now=T0,
                           ttl_s=60, jti="j2")
    assert client["scope"] == "a b" and client["roles"] == []
    restricted = access_claims(issuer="ekinerja", subject="x", kind="user", tenant_id="t",
                               nip="1", roles=(), now=T0, ttl_s=60, jti="j3", restricted=True)
    assert restricted["aud"] == PASSWORD_CHANGE_AUDIENCE


@pytest.mark.parametrize("path,expected", [
    ("/", "/"), ("/?tenant=cilegon&period=2026-11", "/?tenant=cilegon&period=2026-11"),
    ("/docs", "/docs"), (None, "/"), ("", "/"),
    ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example", "/"),
    ("/a//b", "/"), ("javascript:alert(1)", "/"), ("/x\r\nSet-Cookie: a=b", "/"),
])
def test_only_local_paths_are_followed_after_sign_in(path, expected):
    assert safe_next(path) == expected
