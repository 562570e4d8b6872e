"""The TPP pay slip of one employee's month: pure, from the month's score, the days of
leave and duty, the payroll unit's inputs and the regency's policy (``pay_rules``).

Lines, in this order (every cut carries its reason and its rule, in Bahasa Indonesia):

1. **Bruto by component**: bruto = TPP base x final % / 100 (the payroll sheet's "TPP
   sesuai nilai"); each component's line is base x weight % x value %, the last one takes
   what the rounding leaves so that the lines add up to the bruto. A month paid in parts
   (the policy's ``proration``, ``domain.proration``: a change of TPP base or employment
   type, a start or end of duty inside the month) has instead one bruto line per segment,
   base x final % x its days / the month's days, with its dates, days and reason; the
   adjustment is then one line per segment of a type paid less than 100 %.
2. **Cuts**, each on the same base, the TPP after the employment-type adjustment (the
   score's TPP): the adjustment itself first (CPNS 80 %: bruto - the score's TPP), then
   the discipline cut on the whole TPP (a policy with ``discipline.scope = whole_tpp``),
   each leave kind / duty status the policy cuts (per day: pct x days; prorata: pct x
   days / effective days), each disciplinary penalty in force in the month (PP 94/2021).
   The cuts after the adjustment never exceed the TPP: the last ones are reduced.
3. **TPP after cuts** (what the employee earns this month).
4. **BPJS Kesehatan** on TPP: the base is salary + TPP capped together at the national
   ceiling; the TPP's part of it = min(salary + TPP, ceiling) - min(salary, ceiling);
   employee 1 % (deducted), employer 4 % (shown, paid by the regency, not deducted).
5. **PPh 21**: the amount the payroll unit entered, else its rate x TPP after cuts.
6. **Netto** = TPP after cuts - BPJS (employee) - PPh 21.

Rounding, one rule: every amount is rounded once to whole rupiah, ROUND_HALF_UP (half a
rupiah goes up), the same rule as the score's TPP (``domain.score``), so the slip's TPP
after the adjustment equals the score's TPP exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .pay_rules import HUNDRED, PayRules
from .payroll import COMPONENT_LABELS, month_name
from .policy import Policy
from .proration import PaySegment, describe, prorated
from .score import rupiah
from .terbilang import terbilang

ZERO = Decimal(0)


def rp(value: Decimal) -> str:
    """Indonesian number format: ``Rp1.234.567`` (negative: ``-Rp1.234``)."""
    whole = f"{abs(rupiah(value)):,.0f}".replace(",", ".")
    return f"{'-' if value < 0 else ''}Rp{whole}"


def pct_id(value: Decimal) -> str:
    """``12.5`` -> ``12,5 %`` (Indonesian decimal comma, no trailing zeros)."""
    text = f"{value.normalize():f}" if value != value.to_integral() else f"{int(value)}"
    return text.replace(".", ",") + " %"


@dataclass(frozen=True)
class Penalty:
    """A disciplinary penalty cutting the TPP by ``pct`` from ``from_period`` to
    ``to_period`` (inclusive, YYYY-MM)."""

    pct: Decimal
    from_period: str
    to_period: str
    decree: str = ""  # the decision's number (nomor SK)
    reason: str = ""

    def applies(self, period: str) -> bool:
        return self.from_period <= period <= self.to_period


@dataclass(frozen=True)
class SlipInputs:
    """What the payroll unit enters per employee and month."""

    salary: Decimal = ZERO  # gaji pokok + tunjangan melekat: the BPJS base with TPP
    pph21_pct: Decimal | None = None
    pph21_amount: Decimal | None = None
    penalties: tuple[Penalty, ...] = ()


@dataclass(frozen=True)
class SlipScore:
    """The month's score as the slip needs it (components: name, weight, value %)."""

    components: tuple[tuple[str, Decimal, Decimal], ...]
    final_pct: Decimal
    tpp_base: Decimal
    employment_type: str
    adjustment_pct: Decimal
    tpp_amount: Decimal  # base x final % x adjustment %, rounded (the score's TPP)
    segments: tuple[PaySegment, ...] = ()  # the month's pay segments (empty: one, whole)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> "SlipScore":
        """From a score row of the payroll table's form (components [{name, weight,
        value_pct}], final_pct, tpp_base, employment_type, tpp_adjustment_pct, tpp_amount)."""
        return cls(
            components=tuple((str(c["name"]), Decimal(str(c["weight"])),
                              Decimal(str(c["value_pct"]))) for c in row["components"]),
            final_pct=Decimal(str(row["final_pct"])), tpp_base=Decimal(str(row["tpp_base"])),
            employment_type=str(row.get("employment_type") or ""),
            adjustment_pct=Decimal(str(row.get("tpp_adjustment_pct", HUNDRED))),
            tpp_amount=rupiah(Decimal(str(row["tpp_amount"]))),
            segments=tuple(PaySegment.of(x) for x in row.get("segments") or ()))

    def in_parts(self) -> bool:
        return bool(self.segments) and prorated(self.segments)


@dataclass(frozen=True)
class MonthDays:
    """The month's leave/duty days by absence code, the effective working days, and the
    sum of the days' attendance deductions (percent or points)."""

    leave_days: Mapping[str, int]
    effective_days: Decimal
    deduction_sum: Decimal = ZERO


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    amount: Decimal
    reason: str = ""
    rule: str = ""


@dataclass(frozen=True)
class PaySlip:
    period: str
    earnings: tuple[Line, ...]
    bruto: Decimal
    cuts: tuple[Line, ...]
    tpp_after_cuts: Decimal
    deductions: tuple[Line, ...]  # BPJS (employee), PPh 21
    employer: tuple[Line, ...]  # BPJS (employer): shown, not deducted
    netto: Decimal

    def cut_total(self, *codes: str) -> Decimal:
        """The sum of the cuts whose code starts with one of ``codes`` (all: none given)."""
        return sum((c.amount for c in self.cuts
                    if not codes or c.code.startswith(codes)), ZERO)

    def deduction(self, code: str) -> Decimal:
        return sum((d.amount for d in (*self.deductions, *self.employer) if d.code == code),
                   ZERO)


SHEET_COLUMNS = ("Potongan hukuman disiplin (Rp)", "Potongan cuti/tugas (Rp)",
                 "Potongan disiplin kehadiran (Rp)", "TPP setelah potongan (Rp)",
                 "BPJS Kesehatan pegawai (Rp)", "PPh 21 (Rp)", "TPP bersih diterima (Rp)",
                 "BPJS Kesehatan pemberi kerja (Rp)")
"""The pay slip's columns of the OPD payroll sheet, after ``TPP dibayar`` (the score's TPP,
after the CPNS adjustment): that minus the three cuts is ``TPP setelah potongan``."""


def sheet_values(slip: PaySlip) -> tuple[Decimal, ...]:
    """One employee's values of ``SHEET_COLUMNS``."""
    return (slip.cut_total("penalty"), slip.cut_total("leave"),
            slip.cut_total("discipline"), slip.tpp_after_cuts,
            slip.deduction("bpjs_employee"), slip.deduction("pph21"), slip.netto,
            slip.deduction("bpjs_employer"))


NETTO_COLUMN = "TPP bersih diterima (Rp)"


def signature_block(header: Sequence[str], total: Sequence[Any]) -> list[list[str]]:
    """The lines under the OPD payroll sheet: the netto total in figures and in words, and
    the places where the head of the OPD (pengguna anggaran) and the treasurer (bendahara
    pengeluaran) sign. ``header``/``total``: the table's header and total line cells."""
    netto = dict(zip(header, total, strict=True)).get(NETTO_COLUMN)
    gap = [""] * 4
    lines = [[f"Jumlah TPP bersih yang dibayarkan: {rp(netto)} ({terbilang(netto)})"]
             if isinstance(netto, Decimal) else [], []]
    return [*lines, ["Mengetahui,", *gap, "Lunas dibayar,"],
            ["Pengguna Anggaran/Kepala OPD", *gap, "Bendahara Pengeluaran"], [], [], [],
            ["(" + "." * 32 + ")", *gap, "(" + "." * 32 + ")"], ["NIP.", *gap, "NIP."]]


def _segment_lines(score: SlipScore, policy: Policy) -> tuple[list[Line], list[Line]]:
    """The bruto lines and the adjustment lines of a month paid in parts."""
    basis = policy.proration.basis
    earnings: list[Line] = []
    adjustments: list[Line] = []
    for i, seg in enumerate(score.segments, start=1):
        bruto, paid = seg.bruto(score.final_pct), seg.paid(score.final_pct)
        when = describe(seg, basis)
        earnings.append(Line(
            f"segment:{i}", f"TPP {when.split(':')[0]}", bruto,
            f"TPP dasar {rp(seg.tpp_base)} ({seg.employment_type}) x nilai akhir "
            f"{pct_id(score.final_pct)} x {when.split(': ')[1]}"
            + (f" - {seg.reason}" if seg.reason else ""), policy.proration.rule))
        if bruto != paid:
            adjustments.append(Line(
                f"adjustment:{i}", f"Penyesuaian {seg.employment_type}", bruto - paid,
                f"{seg.employment_type} menerima {pct_id(seg.adjustment_pct)} dari TPP "
                f"sesuai nilai {rp(bruto)} ({when})",
                f"TPP {seg.employment_type} dibayar {pct_id(seg.adjustment_pct)} "
                "(kebijakan TPP daerah)"))
    return earnings, adjustments


def _earnings(score: SlipScore) -> tuple[tuple[Line, ...], Decimal]:
    bruto = rupiah(score.tpp_base * score.final_pct / HUNDRED)
    lines: list[Line] = []
    for i, (name, weight, value) in enumerate(score.components):
        last = i == len(score.components) - 1
        own = rupiah(score.tpp_base * weight * value / HUNDRED / HUNDRED)
        amount = bruto - sum((x.amount for x in lines), ZERO) if last else own
        lines.append(Line(f"component:{name}", COMPONENT_LABELS.get(name, name), amount,
                          f"TPP dasar {rp(score.tpp_base)} x bobot {pct_id(weight)} x "
                          f"nilai {pct_id(value)}"
                          + (f" (selisih pembulatan nilai akhir {rp(amount - own)})"
                             if amount != own else "")))
    return tuple(lines), bruto


def _cuts(score: SlipScore, days: MonthDays, inputs: SlipInputs, policy: Policy,
          period: str) -> list[Line]:
    base = score.tpp_amount
    cuts: list[Line] = []
    discipline = policy.discipline
    if discipline.scope == "whole_tpp":
        cut = discipline.cut_pct(days.deduction_sum)
        counted = (f"{pct_id(days.deduction_sum)}" if discipline.unit == "pct" else
                   f"{days.deduction_sum.normalize():f} poin x {pct_id(discipline.pct_per_point)}"
                   " per poin")
        if cut > 0:
            cuts.append(Line("discipline", "Potongan disiplin kehadiran",
                             rupiah(base * cut / HUNDRED),
                             f"Potongan kehadiran bulan ini {counted}, dihitung "
                             f"{pct_id(cut)} (batas {discipline.monthly_cap.normalize():f}) "
                             f"dari TPP {rp(base)}", discipline.rule))
    for code, count in sorted(days.leave_days.items()):
        rule = policy.pay.leave_rule(code)
        if rule is None or rule.basis == "paid" or count <= 0 or rule.pct == 0:
            continue
        if rule.basis == "per_day":
            share = min(HUNDRED, rule.pct * count)
            how = f"{count} hari x {pct_id(rule.pct)}"
        else:
            eff = days.effective_days
            share = min(HUNDRED, rule.pct * count / eff) if eff > 0 else rule.pct
            how = f"{pct_id(rule.pct)} x {count}/{eff.normalize():f} hari kerja"
        cuts.append(Line(f"leave:{code}", rule.label, rupiah(base * share / HUNDRED),
                         f"{rule.label} {count} hari: {how} dari TPP {rp(base)}", rule.rule))
    for i, p in enumerate(x for x in inputs.penalties if x.applies(period)):
        span = (f"{month_name(p.from_period)} s.d. {month_name(p.to_period)}")
        cuts.append(Line(f"penalty:{i + 1}", "Hukuman disiplin",
                         rupiah(base * p.pct / HUNDRED),
                         f"Hukuman disiplin {p.decree or '(tanpa nomor SK)'}: pemotongan "
                         f"{pct_id(p.pct)} dari TPP {rp(base)}, {span}"
                         + (f" - {p.reason}" if p.reason else ""), policy.pay.penalty_rule))
    return _capped(cuts, base)


def _capped(cuts: Sequence[Line], base: Decimal) -> list[Line]:
    """The cuts in order, each reduced so that together they never exceed ``base``."""
    out: list[Line] = []
    left = base
    for c in cuts:
        amount = min(c.amount, left)
        note = "" if amount == c.amount else (
            f" (dibatasi {rp(amount)}: potongan tidak melebihi TPP)")
        out.append(Line(c.code, c.label, amount, c.reason + note, c.rule))
        left -= amount
    return out


def build_slip(period: str, score: SlipScore, days: MonthDays, inputs: SlipInputs,
               policy: Policy) -> PaySlip:
    if score.in_parts():
        parts, cuts = _segment_lines(score, policy)
        earnings, bruto = tuple(parts), sum((x.amount for x in parts), ZERO)
        adjustment = ZERO
    else:
        earnings, bruto = _earnings(score)
        adjustment = bruto - score.tpp_amount
        cuts = []
    cuts += ([Line("adjustment", f"Penyesuaian {score.employment_type}", adjustment,
                  f"{score.employment_type} menerima {pct_id(score.adjustment_pct)} dari TPP "
                  f"sesuai nilai {rp(bruto)}",
                  f"TPP {score.employment_type} dibayar {pct_id(score.adjustment_pct)} "
                  "(kebijakan TPP daerah)")]
            if adjustment else [])
    cuts += _cuts(score, days, inputs, policy, period)
    after = bruto - sum((c.amount for c in cuts), ZERO)
    employee, pph, employer = _contributions(after, inputs, policy.pay)
    return PaySlip(period=period, earnings=earnings, bruto=bruto, cuts=tuple(cuts),
                   tpp_after_cuts=after, deductions=(employee, pph), employer=(employer,),
                   netto=after - employee.amount - pph.amount)


def _contributions(tpp: Decimal, inputs: SlipInputs, pay: PayRules) -> tuple[Line, Line, Line]:
    """BPJS Kesehatan (employee, deducted), PPh 21, BPJS Kesehatan (employer, shown)."""
    capped = min(inputs.salary + tpp, pay.bpjs_ceiling)
    bpjs_base = max(ZERO, capped - min(inputs.salary, pay.bpjs_ceiling))
    base_text = (f"dasar iuran atas TPP {rp(bpjs_base)} = min(gaji {rp(inputs.salary)} + "
                 f"TPP {rp(tpp)}, batas {rp(pay.bpjs_ceiling)}) - min(gaji, batas)")
    rule = ("Perpres 64/2020: iuran BPJS Kesehatan 5 % dari gaji dan tunjangan, paling "
            f"tinggi atas {rp(pay.bpjs_ceiling)}; 1 % pegawai, 4 % pemberi kerja")
    employee = Line("bpjs_employee", f"BPJS Kesehatan {pct_id(pay.bpjs_employee_pct)} "
                    "(pegawai)", rupiah(bpjs_base * pay.bpjs_employee_pct / HUNDRED),
                    base_text, rule)
    employer = Line("bpjs_employer", f"BPJS Kesehatan {pct_id(pay.bpjs_employer_pct)} "
                    "(pemberi kerja, tidak dipotong)",
                    rupiah(bpjs_base * pay.bpjs_employer_pct / HUNDRED), base_text, rule)
    if inputs.pph21_amount is not None:
        pph = Line("pph21", "PPh 21", rupiah(inputs.pph21_amount),
                   "Jumlah PPh 21 diisi unit pengelola gaji", "UU PPh Pasal 21")
    else:
        rate = inputs.pph21_pct or ZERO
        pph = Line("pph21", "PPh 21", rupiah(tpp * rate / HUNDRED),
                   f"Tarif {pct_id(rate)} diisi unit pengelola gaji x TPP {rp(tpp)}"
                   if inputs.pph21_pct is not None else "Tarif PPh 21 belum diisi (0 %)",
                   "UU PPh Pasal 21; tarif efektif (PP 58/2023)")
    return employee, pph, employer
