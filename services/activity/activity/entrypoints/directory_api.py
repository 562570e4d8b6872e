"""The service's copy of the directory, as it decides with it. Who: the employee, their
supervisor in force (direct or Plt/Plh) and HR (``EmployeeViewerDep``)."""

from __future__ import annotations

from fastapi import APIRouter

from ekinerja_shared.http import NipPath, TenantPath, TenantSessionDep

from ..service_layer import directory
from .deps import EmployeeViewerDep
from .schemas import EmployeeOut, LinkOut

router = APIRouter(prefix="/api/activity/{tenant_id}", tags=["activity"])


@router.get("/employees/{nip}", response_model=EmployeeOut)
async def get_employee(tenant_id: TenantPath, nip: NipPath, caller: EmployeeViewerDep,
                       session: TenantSessionDep) -> EmployeeOut:
    """This service's copy of an employee, with the supervisor history it decides by."""
    emp, unit_name, links = await directory.employee_with_links(session, tenant_id, nip)
    return EmployeeOut(nip=emp.nip, name=emp.name, unit_id=emp.unit_id, unit_name=unit_name,
                       supervisor_nip=emp.supervisor_nip, active=emp.active,
                       supervisor_history=[LinkOut(effective_from=ln.effective_from,
                                                   supervisor_nip=ln.supervisor_nip)
                                           for ln in links])
