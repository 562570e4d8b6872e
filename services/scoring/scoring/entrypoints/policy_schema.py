"""The scoring policy's format as pydantic models, so that the OpenAPI document publishes
it as JSON Schema with examples (``PUT /policies/{p}``, ``GET /policy``, ``/policies``,
``/presets``). The models only describe and carry the data: the rules (weights adding up
to 100, known sources, no attendance component under a whole-TPP discipline cut ...) are
checked by ``domain.policy`` with messages in Bahasa Indonesia. Numbers may be given as
JSON numbers or as decimal strings (a string keeps the value exact); policies are written
back with decimal strings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.policy import SOURCES

Number = Annotated[str | int | float, Field(description="A decimal number (e.g. \"52.5\")")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartSpec(_Spec):
    source: str = Field(description="One of: " + "; ".join(f"`{k}` = {v}"
                                                           for k, v in SOURCES.items()))
    weight: Number = Field(default="100", description="Share of the component, percent; "
                                                      "a component's parts add up to 100")


class ComponentSpecModel(_Spec):
    name: str = Field(description="e.g. performance, discipline, attendance, "
                                  "individual_performance, collective_work, compliance")
    weight: Number = Field(description="Share of the final score, percent; the components "
                                       "add up to 100")
    parts: list[PartSpec] = Field(min_length=1)


class DisciplineSpec(_Spec):
    """How the month's attendance deductions (the days' cuts in percent or points) become
    a cut."""

    unit: Literal["pct", "points"] = Field(
        default="pct", description="What the attendance rule set's day cuts are counted in")
    monthly_cap: Number = Field(default="100", description="The month's total counted at "
                                                           "most (percent or points)")
    pct_per_point: Number = Field(default="1", description="Points model: percent cut per "
                                                           "point (1 for unit pct)")
    scope: Literal["component", "whole_tpp"] = Field(
        default="component",
        description="`component`: the cut lowers the `attendance` source (the discipline "
                    "part of the score only); `whole_tpp`: the cut is a line of the pay slip "
                    "on the whole TPP (then no component may use the `attendance` source)")
    rule: str = Field(default="", description="The regency's rule text, shown with the cut")


class LeaveRuleSpec(_Spec):
    code: str = Field(description="The attendance absence code: CT, CS, CB, CM, CAP, CLTN, "
                                  "TB (tugas belajar), DL (dinas luar)")
    label: str = ""
    basis: Literal["paid", "per_day", "prorata"] = Field(
        default="paid", description="`paid`: no cut; `per_day`: pct % of the TPP per day; "
                                    "`prorata`: pct % x days / effective days of the month")
    pct: Number = "0"
    rule: str = Field(default="", description="The regency's rule text, shown with the cut")


class PaySpec(_Spec):
    leave: list[LeaveRuleSpec] | None = Field(
        default=None, description="The pay rule of each leave kind and duty status (a "
                                  "kind not listed is paid)")
    bpjs_ceiling: Number | None = Field(default=None, description="National ceiling of "
                                        "salary + TPP for BPJS Kesehatan (Rp12.000.000)")
    bpjs_employee_pct: Number | None = Field(default=None, description="Employee's share "
                                             "(1), deducted from the TPP")
    bpjs_employer_pct: Number | None = Field(default=None, description="Employer's share "
                                             "(4), shown, not deducted")
    penalty_rule: str | None = Field(default=None, description="Rule text shown with a "
                                     "disciplinary penalty (PP 94/2021)")


class ProrationSpec(_Spec):
    """How a month with a change of TPP base or employment type (or a start or end of duty
    inside it) is paid."""

    basis: Literal["latest", "calendar_days", "working_days"] = Field(
        default="latest",
        description="`latest`: the values in force on the month's last day, for the whole "
                    "month (no proration); `calendar_days`: each value for its share of the "
                    "month's calendar days; `working_days`: for its share of the month's "
                    "working days (Monday-Friday, without the days attendance evaluated as "
                    "holiday/off, with weekend days it evaluated as working). The pay slip "
                    "shows one bruto line per value with its days and reason")
    rule: str = Field(default="", description="The regency's rule text, shown with the "
                                              "lines")


EXAMPLES: list[dict[str, Any]] = [
    {"minutes_per_day": 270},
    {"name": "kinerja100_blok30",
     "components": [{"name": "performance", "weight": "100",
                     "parts": [{"source": "performance", "weight": "100"}]}],
     "discipline": {"unit": "pct", "monthly_cap": "40", "scope": "whole_tpp",
                    "rule": "Potongan kehadiran paling banyak 40 % per bulan"}},
    {"name": "poin100", "discipline": {"unit": "points", "monthly_cap": "100",
                                       "pct_per_point": "1", "scope": "component"}},
    {"name": "cilegon_kinerja_unit",
     "components": [
         {"name": "individual_performance", "weight": "52.5",
          "parts": [{"source": "performance", "weight": "100"}]},
         {"name": "attendance", "weight": "30",
          "parts": [{"source": "attendance", "weight": "100"}]},
         {"name": "collective_work", "weight": "17.5",
          "parts": [{"source": "unit_performance", "weight": "100"}]}]},
    {"pay": {"bpjs_ceiling": "12000000", "leave": [
        {"code": "CLTN", "label": "Cuti di luar tanggungan negara", "basis": "prorata",
         "pct": "100", "rule": "CLTN: TPP tidak dibayar"},
        {"code": "CS", "label": "Cuti sakit", "basis": "per_day", "pct": "2.5",
         "rule": "Cuti sakit: 2,5 % per hari"}]}},
    {"proration": {"basis": "working_days",
                   "rule": "TPP dibayar sesuai jumlah hari kerja pada tiap jabatan"}},
]


class PolicySpecModel(_Spec):
    """A scoring policy, or (in ``PUT /policies/{p}``) the changes to the policy in force:
    the top-level fields given replace the current ones (``components``, ``discipline``,
    ``pay`` each as a whole), the others are kept."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": EXAMPLES})  # type: ignore[dict-item]

    name: str | None = None
    description: str | None = Field(default=None, description="What the policy measures, "
                                    "and the choices it makes")
    minutes_per_day: int | str | None = Field(default=None, description="Effective minutes "
                                              "of a working day (1-1440; 300)")
    tpp_adjustments: dict[str, Number] | None = Field(
        default=None, description="Percent of the computed TPP paid by employment type "
                                  "(CPNS 80); a type not listed: 100")
    components: list[ComponentSpecModel] | None = None
    discipline: DisciplineSpec | None = None
    pay: PaySpec | None = None
    proration: ProrationSpec | None = None

    def changes(self) -> dict[str, Any]:
        """The fields given, as the domain's plain data."""
        return self.model_dump(exclude_unset=True)
