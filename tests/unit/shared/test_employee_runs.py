"""``employee_runs``: a directory batch as runs of employee events and what ended each."""

from __future__ import annotations

from ekinerja_shared import events as ev


def emp(nip: str) -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id="t", nip=nip, name=nip, unit_id="u", tpp_base=0)


def tenant() -> ev.TenantUpserted:
    return ev.TenantUpserted(tenant_id="t", name="T", timezone="WIB",
                             policy_preset="cilegon")


def test_runs_keep_the_order_and_end_at_each_other_event() -> None:
    a, b, c = emp("1"), emp("2"), emp("3")
    t1, t2 = tenant(), tenant()
    assert list(ev.employee_runs([a, b, t1, t2, c])) == [([a, b], t1), ([], t2), ([c], None)]


def test_an_empty_batch_and_a_batch_of_employees_only() -> None:
    a, b = emp("1"), emp("2")
    assert list(ev.employee_runs([])) == [([], None)]
    assert list(ev.employee_runs([a, b])) == [([a, b], None)]
