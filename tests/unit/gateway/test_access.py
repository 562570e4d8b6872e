"""Who sees what at the gateway (gateway.domain.access): pure rules."""

from __future__ import annotations

import dataclasses

import pytest

from ekinerja_shared.errors import Forbidden
from ekinerja_shared.identity import Caller, Role
from gateway.domain.access import (
    DIRECTORY_READ,
    EVERYONE,
    SCORES_READ,
    Audience,
    own_data_only,
    person_of,
    sees_device_pins,
    sees_whole_regency,
    team_audience,
)

BOSS, STAFF, OTHER = "198507082010012011", "199001172015031002", "199205302019032009"


def person(nip: str, *roles: Role) -> Caller:
    return Caller(subject=f"kota:{nip}", tenant_id="kota", nip=nip,
                  roles=frozenset(roles or (Role.EMPLOYEE,)))


def client(*scopes: str) -> Caller:
    return Caller(subject="client:kota.simpeg", tenant_id="kota", nip=None,
                  scopes=frozenset(scopes), kind="client")


OPERATOR = Caller(subject="operator:ops", tenant_id=None, nip=None,
                  roles=frozenset({Role.OPERATOR}))


def test_the_whole_regency_is_for_hr_leadership_the_operator_and_scoped_clients():
    assert sees_whole_regency(person(STAFF, Role.EMPLOYEE, Role.HR), SCORES_READ)
    assert sees_whole_regency(person(STAFF, Role.LEADER), SCORES_READ)
    assert sees_whole_regency(OPERATOR, DIRECTORY_READ)
    assert sees_whole_regency(client(SCORES_READ), SCORES_READ)
    assert not sees_whole_regency(client(SCORES_READ), DIRECTORY_READ)
    assert not sees_whole_regency(person(BOSS, Role.EMPLOYEE, Role.SUPERVISOR), SCORES_READ)
    assert not sees_whole_regency(person(STAFF, Role.VERIFIER), SCORES_READ)
    # a person never gets regency-wide reading through a scope claim
    scoped_person = Caller(subject=f"kota:{STAFF}", tenant_id="kota", nip=STAFF,
                           roles=frozenset({Role.EMPLOYEE}), scopes=frozenset({SCORES_READ}))
    assert not sees_whole_regency(scoped_person, SCORES_READ)


def test_device_pins_are_for_hr_and_the_operator_only():
    assert sees_device_pins(person(STAFF, Role.HR)) and sees_device_pins(OPERATOR)
    for caller in (person(STAFF), person(BOSS, Role.SUPERVISOR), person(STAFF, Role.LEADER),
                   client(DIRECTORY_READ, "directory.write")):
        assert not sees_device_pins(caller)


def test_team_audience_is_the_person_and_their_direct_reports():
    team = team_audience(BOSS, {STAFF})
    assert team.allows(BOSS) and team.allows(STAFF) and not team.allows(OTHER)
    alone = team_audience(STAFF, set())
    assert alone.allows(STAFF) and not alone.allows(BOSS)
    assert EVERYONE.allows(OTHER)


def test_a_client_without_the_scope_is_no_person():
    assert person_of(person(STAFF)) == STAFF
    with pytest.raises(Forbidden):
        person_of(client("directory.write"))


def test_only_a_machine_client_reads_the_regency_through_a_scope():
    # the kind decides, not the scopes a caller happens to carry
    anonymous = Caller(subject="anonymous", tenant_id="kota", nip=None,
                       scopes=frozenset({SCORES_READ}), kind="anonymous")
    assert not sees_whole_regency(anonymous, SCORES_READ)


def test_an_audience_is_a_value():
    team = team_audience(BOSS, {STAFF})
    assert team == Audience(frozenset({BOSS, STAFF}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        team.nips = None  # type: ignore[misc]


def test_the_refusal_of_another_persons_rows_is_a_403_in_bahasa_indonesia() -> None:
    refusal = own_data_only()
    assert isinstance(refusal, Forbidden)
    assert (refusal.status_code, refusal.code) == (403, "own_data_only")
    assert refusal.message == "Anda hanya dapat mengakses data Anda sendiri atau tim Anda."
