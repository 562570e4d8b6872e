"""The pages' in-process reads of the directory (``gateway.service_layer.page_reads``) decide
as the directory API does: on the real PostgreSQL as the application role, each role's
names, listing and single person equal what ``GET /api/tenants/{t}/employees[/{nip}]``
answers the same caller; another regency and an unseen colleague are refused the same way."""

from __future__ import annotations

import pytest

from ekinerja_shared.errors import DomainError
from ekinerja_shared.identity import Caller, Role
from gateway.app import create_app
from gateway.service_layer.page_reads import Directory
from tests.integration.gateway.test_access import BUDI, DEDI, EVERYONE, HEAD, LIA, NUR, seed
from tests.support.apps import running_app
from tests.support.tokens import as_user

pytestmark = pytest.mark.integration


def person(tenant_id: str, nip: str, *roles: Role) -> Caller:
    return Caller(subject=f"user:{nip}", tenant_id=tenant_id, nip=nip,
                  roles=frozenset(roles or (Role.EMPLOYEE,)))


async def test_the_pages_directory_reads_decide_as_the_api(settings, tenant_id):
    app = create_app(settings)
    async with running_app(app) as client:
        await seed(client, tenant_id)
        rt = app.state.runtime
        base = f"/api/tenants/{tenant_id}/employees"
        for nip, roles in ((LIA, ()), (BUDI, (Role.EMPLOYEE, Role.SUPERVISOR)),
                           (HEAD, (Role.EMPLOYEE, Role.LEADER)), (DEDI, (Role.HR, Role.EMPLOYEE))):
            caller = person(tenant_id, nip, *roles)
            directory = Directory(rt, caller, tenant_id)
            r = await client.get(base, headers=as_user(tenant_id, nip, *roles))
            assert r.status_code == 200, r.text
            api = {e["nip"]: e for e in r.json()}
            assert await directory.names() == {n: e["name"] for n, e in api.items()}, nip
            # a page's rows: only the names asked for, never more than the API shows
            assert await directory.names({NUR, HEAD}) == {
                n: api[n]["name"] for n in (NUR, HEAD) if n in api}, nip
            assert await directory.names(set()) == {}
            listed = (await directory.employees(size=100)).rows
            assert sorted(e["nip"] for e in listed) == sorted(api), nip
            assert {e["nip"]: e["device_pin"] for e in listed} == {
                n: e["device_pin"] for n, e in api.items()}, nip
            basics = await directory.basics()
            assert basics.person is not None and basics.person["name"] == api[nip]["name"]
            assert basics.timezone == "Asia/Jakarta"
            for other in sorted(EVERYONE):
                answer = await client.get(f"{base}/{other}",
                                          headers=as_user(tenant_id, nip, *roles))
                try:
                    found = await directory.person(other)
                except DomainError as exc:
                    assert answer.status_code == exc.status_code == 403, (nip, other)
                else:
                    assert answer.status_code == 200 and found is not None, (nip, other)
                    assert found["name"] == answer.json()["name"]
        # not a member of the regency: refused like the API (404, nothing revealed)
        stranger = Directory(rt, person(f"{tenant_id}-x", LIA), tenant_id)
        for read in (stranger.basics(), stranger.names(), stranger.employees()):
            with pytest.raises(DomainError) as refused:
                await read
            assert refused.value.status_code == 404
