"""The regency HR's administration pages: the overview (``/app/sdm``) and what the HR
page modules share: the role check (``HrPageDep``) and a change sent to a service
whose refusal is shown in place (Post/Redirect/Get when it is taken). The pages themselves
are in ``routes_hr_calendar`` (schedules, shifts, holidays), ``routes_hr_days`` (leave,
corrections), ``routes_hr_rules`` (attendance rules, scoring policy),
``routes_hr_people`` (employees, Plt/Plh, activity rules), ``routes_hr_settings`` (apel,
punch window, compliance) and ``routes_hr_quarantine``; roster, month close and devices
stay in ``routes_manage``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from .backend import BackendRefused
from .render import Page, PageRoute, render, require_role
from .routes_employee import PageDep

router = APIRouter(route_class=PageRoute, tags=["pages"])

# the overview's cards: (path, title, what it is for)
AREAS = (
    ("/app/sdm/roster", "Roster pegawai", "Unggah roster CSV; kesalahan per baris."),
    ("/app/sdm/pegawai", "Daftar pegawai", "Cari pegawai; OPD, atasan, PIN mesin, jenis."),
    ("/app/sdm/plt", "Plt dan Plh", "Penugasan pelaksana tugas/harian; cabut."),
    ("/app/tim/rencana", "Rencana kerja pegawai", "SKP/RPOK pegawai dan realisasinya."),
    ("/app/slip", "Slip TPP pegawai", "Bruto, potongan, BPJS, PPh 21, netto."),
    ("/app/sdm/jadwal", "Jadwal kerja", "Pekan kerja bernama dan penerapannya."),
    ("/app/sdm/shift", "Jadwal shift", "Shift pegawai per tanggal (24 jam)."),
    ("/app/sdm/libur", "Hari libur", "Libur nasional, cuti bersama, libur daerah."),
    ("/app/sdm/cuti", "Cuti dan izin", "Catat dan batalkan cuti, izin, dinas luar."),
    ("/app/sdm/koreksi", "Koreksi presensi", "Perbaiki jam datang/pulang dengan alasan."),
    ("/app/sdm/aturan", "Aturan presensi", "Potongan TL/PSW/TK, preset atau sendiri."),
    ("/app/sdm/apel", "Apel & jam absen", "Jendela dan hari apel; batas jam absen mesin."),
    ("/app/sdm/kebijakan", "Kebijakan penilaian", "Bobot komponen nilai per bulan."),
    ("/app/sdm/kepatuhan", "Nilai kepatuhan", "Isi nilai kepatuhan pegawai per bulan."),
    ("/app/sdm/aturan-aktivitas", "Aturan aktivitas",
     "Batas pengisian, menit per hari, batas persetujuan."),
    ("/app/sdm/karantina", "Data tertahan", "Baris mesin dan peristiwa yang disisihkan."),
    ("/app/sdm/bulan", "Tutup bulan & TPP", "Tutup, buka kembali, fakta terlambat, unduh TPP."),
    ("/app/sdm/perangkat", "Perangkat", "Mesin presensi daring/luring."),
)

Refusal = Callable[[BackendRefused], Awaitable[Response]]


async def _hr_page(page: PageDep) -> Page:
    require_role(page, "hr")
    return page


# the page of the regency's HR: anyone else is refused before the handler runs (403)
HrPageDep = Annotated[Page, Depends(_hr_page)]


async def change(page: Page, service: str, method: str, path: str, *, json: Any = None,
                 params: dict[str, str] | None = None, done: str,
                 refused: Refusal) -> Response:
    """Send one change to a service: to ``done`` when it is taken (303), else the page
    again with the service's reason where the change was asked (``refused``)."""
    try:
        await page.backend.json(service, method, path, json=json, params=params)
    except BackendRefused as exc:
        return await refused(exc)
    return RedirectResponse(done, status_code=303)


@router.get("/app/sdm", summary="Page: the regency HR's administration overview (HR)")
async def overview(request: Request, page: HrPageDep) -> Response:
    return render(request, "sdm.html", **page.context(request, areas=AREAS))
