"""HR's employee list (``/app/sdm/pegawai``) as a filtered, paged read of the database
(``Directory.employees``), on the real PostgreSQL as the application role (row-level
security applies): pages of the regency's employees in the list's order, each employee
once; the OPD filter and the search by part of the NIP or of the name (any case; ``%`` and
``_`` are plain characters); a page past the last is the last; the device PIN for HR only;
a supervisor lists self and the team. Two regencies with the same NIPs and OPD ids: each
HR sees only their own, and a member of one cannot read the other's. The page itself:
its page links work without JavaScript and keep the search."""

from __future__ import annotations

import re

import httpx
import pytest

from ekinerja_shared.errors import DomainError
from ekinerja_shared.identity import Caller, Role
from gateway.app import create_app
from gateway.service_layer.page_reads import Directory
from gateway.web import views_hr_people
from tests.support.apps import running_app
from tests.support.tokens import as_operator, as_user

pytestmark = pytest.mark.integration

HEADER = "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin"
# (unit id, unit name, members) of the first regency; the second has four in "opd-a"
UNITS = (("opd-a", "Dinas Alpha", 12), ("opd-b", "Badan Beta", 8), ("opd-c", "Camat Gamma", 5))


def nip_of(i: int) -> str:
    return f"19800101{i:010d}"


def people(units: tuple[tuple[str, str, int], ...], label: str) -> list[dict[str, str]]:
    """Each OPD's first member heads it; every fifth is a Budi (the search by name)."""
    out, i = [], 0
    for unit_id, unit_name, members in units:
        head = nip_of(i)
        for k in range(members):
            name = f"Budi {label} {i:02d}" if i % 5 == 0 else f"{label} Pegawai {i:02d}"
            out.append({"nip": nip_of(i), "name": name, "unit_id": unit_id,
                        "unit_name": unit_name, "supervisor_nip": "" if k == 0 else head,
                        "device_pin": str(100 + i)})
            i += 1
    return out


FIRST = people(UNITS, "Alpha")
SECOND = people((("opd-a", "Dinas Lain", 4),), "Warga")
HR, BOSS, REPORT = nip_of(1), nip_of(12), nip_of(13)  # BOSS heads opd-b


def roster(rows: list[dict[str, str]]) -> str:
    return "\n".join([HEADER, *(
        f"{r['nip']},{r['name']},{r['unit_id']},{r['unit_name']},Pelaksana,"
        f"{r['supervisor_nip']},4000000,PNS,{r['device_pin']}" for r in rows)]) + "\n"


def ordered(rows: list[dict[str, str]]) -> list[str]:
    return [r["nip"] for r in sorted(rows, key=lambda r: (r["unit_name"].lower(),
                                                          r["name"].lower(), r["nip"]))]


def person(tenant_id: str, nip: str, *roles: Role) -> Caller:
    return Caller(subject=f"user:{nip}", tenant_id=tenant_id, nip=nip,
                  roles=frozenset(roles or (Role.EMPLOYEE,)))


async def register(client: httpx.AsyncClient, tenant_id: str, rows: list[dict[str, str]]) -> None:
    r = await client.put(f"/api/tenants/{tenant_id}", headers=as_operator(), json={
        "name": f"Kabupaten {tenant_id}", "timezone": "WIB", "policy_preset": "cilegon"})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/tenants/{tenant_id}/roster", content=roster(rows),
                          headers={**as_operator(), "content-type": "text/csv"})
    assert r.status_code == 200, r.text


async def test_the_employee_list_is_a_filtered_paged_read_of_one_regency(
        settings, tenant_id, monkeypatch):
    other = f"{tenant_id}-b"
    app = create_app(settings)
    async with running_app(app) as client:
        await register(client, tenant_id, FIRST)
        await register(client, other, SECOND)
        rt = app.state.runtime
        hr = Directory(rt, person(tenant_id, HR, Role.HR, Role.EMPLOYEE), tenant_id)
        names = {r["nip"]: r["name"] for r in FIRST}

        # pages of 10 in the list's order (OPD name, name, NIP): each employee once
        pages = [await hr.employees(page=n, size=10) for n in (1, 2, 3)]
        assert [len(p.rows) for p in pages] == [10, 10, 5]
        assert [r["nip"] for p in pages for r in p.rows] == ordered(FIRST)
        assert {(p.matches, p.total, p.page) for p in pages} == {(25, 25, 1), (25, 25, 2),
                                                                 (25, 25, 3)}
        assert pages[0].units == [("opd-b", "Badan Beta"), ("opd-c", "Camat Gamma"),
                                  ("opd-a", "Dinas Alpha")]
        first = pages[0].rows[1]  # Badan Beta's second member: the head is the supervisor
        assert (first["supervisor_nip"], first["supervisor_name"]) == (BOSS, names[BOSS])
        assert first["device_pin"] == str(100 + int(first["nip"][-2:]))
        past = await hr.employees(page=9, size=10)  # past the last: the last
        assert (past.page, [r["nip"] for r in past.rows]) == (3, ordered(FIRST)[20:])

        # one OPD; a search by part of the name (any case) or of the NIP, within it too
        opd_b = await hr.employees(unit_id="opd-b", size=100)
        assert [r["nip"] for r in opd_b.rows] == ordered(
            [r for r in FIRST if r["unit_id"] == "opd-b"])
        assert (opd_b.matches, opd_b.total) == (8, 25)
        budi = await hr.employees("  bUdI ")
        assert [r["nip"] for r in budi.rows] == ordered(
            [r for r in FIRST if r["name"].startswith("Budi")])
        assert [r["nip"] for r in (await hr.employees("budi", "opd-a")).rows] == ordered(
            [r for r in FIRST if r["name"].startswith("Budi") and r["unit_id"] == "opd-a"])
        assert [r["nip"] for r in (await hr.employees("0000000002")).rows] == ordered(
            [r for r in FIRST if "0000000002" in r["nip"]])
        for literal in ("%", "_", "Pegawai_0"):  # not patterns
            assert (await hr.employees(literal)).matches == 0, literal
        nobody = await hr.employees("Warga")  # the other regency's names
        assert (nobody.rows, nobody.matches, nobody.page) == ([], 0, 1)

        # suggestions: no OPD list, the matches counted
        few = await hr.employees("alpha", size=3, with_units=False)
        assert (len(few.rows), few.matches, few.units) == (3, 25, [])

        # not HR: no device PINs (a leader); a supervisor lists self and the team
        leader = Directory(rt, person(tenant_id, nip_of(0), Role.LEADER, Role.EMPLOYEE),
                           tenant_id)
        seen = await leader.employees(size=100)
        assert seen.matches == 25 and {r["device_pin"] for r in seen.rows} == {None}
        boss = Directory(rt, person(tenant_id, BOSS, Role.SUPERVISOR, Role.EMPLOYEE), tenant_id)
        team = await boss.employees(size=100)
        assert sorted(r["nip"] for r in team.rows) == sorted(
            r["nip"] for r in FIRST if BOSS in (r["nip"], r["supervisor_nip"]))
        assert team.units == [("opd-b", "Badan Beta")] and team.total == 8

        # the other regency (same NIPs, same OPD id): its HR sees its four only
        theirs = Directory(rt, person(other, HR, Role.HR, Role.EMPLOYEE), other)
        listed = await theirs.employees(size=100)
        assert [r["name"] for r in listed.rows] == sorted(r["name"] for r in SECOND)
        assert (listed.matches, listed.total, listed.units) == (4, 4, [("opd-a", "Dinas Lain")])
        assert (await theirs.employees("Alpha")).matches == 0
        assert [r["supervisor_name"] for r in listed.rows if r["supervisor_nip"]] == [
            SECOND[0]["name"]] * 3  # their own head's name, not the first regency's
        # and cannot read the first regency's directory (nothing revealed: 404)
        with pytest.raises(DomainError) as refused:
            await Directory(rt, person(other, HR, Role.HR, Role.EMPLOYEE),
                            tenant_id).employees()
        assert refused.value.status_code == 404

        # the page: pages of 10 here, links that keep the search and work without JavaScript
        monkeypatch.setattr(views_hr_people, "SHOWN", 10)
        html = {"accept": "text/html"}
        hr_headers = {**as_user(tenant_id, HR, Role.HR, Role.EMPLOYEE), **html}
        r = await client.get("/app/sdm/pegawai", params={"opd": "opd-a", "hal": "2"},
                             headers=hr_headers)
        assert r.status_code == 200, r.text
        assert "12 dari 25 pegawai" in r.text and "Halaman 2 dari 2" in r.text
        shown = re.findall(r'<tr data-nip="(\d+)"', r.text)
        assert shown == ordered([x for x in FIRST if x["unit_id"] == "opd-a"])[10:]
        assert 'rel="prev" href="/app/sdm/pegawai?opd=opd-a"' in r.text
        assert 'rel="next"' not in r.text
        r = await client.get("/app/sdm/pegawai", params={"q": "pegawai"}, headers=hr_headers)
        assert 'rel="next" href="/app/sdm/pegawai?q=pegawai&amp;hal=2"' in r.text
        assert "Halaman 1 dari 2" in r.text and 'rel="prev"' not in r.text
        r = await client.get("/app/sdm/pegawai", params={"hal": "x"}, headers=hr_headers)
        assert r.status_code == 200 and "Halaman 1 dari 3" in r.text
        theirs_page = await client.get(
            "/app/sdm/pegawai", headers={**as_user(other, HR, Role.HR, Role.EMPLOYEE), **html})
        assert re.findall(r'<tr data-nip="(\d+)"', theirs_page.text) == [
            r["nip"] for r in sorted(SECOND, key=lambda r: r["name"])]
        assert "Alpha" not in theirs_page.text
        # only HR
        r = await client.get("/app/sdm/pegawai",
                             headers={**as_user(tenant_id, BOSS, Role.SUPERVISOR), **html})
        assert r.status_code == 403
        r = await client.get("/app/sdm/pegawai/saran", params={"q": "budi alpha 0"},
                             headers=hr_headers)
        assert [s["nip"] for s in r.json()] == ordered(
            [x for x in FIRST if x["name"].lower().startswith("budi alpha 0")])
