"""Who counts on a day: an employee is evaluated (and a missing punch becomes TK) only on
the days they were on duty, whenever the directory told us. Pure, no I/O.

The directory (gateway) publishes the start of duty (TMT, ``start_date``) and the last day
(``end_date``). Older events carry neither: then the employee counts from the day this
service first saw them (or the event's earlier ``effective_from``), and an inactive one
never (a deactivation without a date)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NOT_YET_EMPLOYED = "not_yet_employed"
ENDED = "ended"
INACTIVE = "inactive"

SKIP_REASONS = {
    NOT_YET_EMPLOYED: "belum bertugas (sebelum TMT)",
    ENDED: "sudah berhenti bertugas (setelah tanggal akhir tugas)",
    INACTIVE: "dinonaktifkan tanpa tanggal akhir tugas",
}
"""Why an employee is not evaluated on a day: code -> text for staff."""


@dataclass(frozen=True)
class Employment:
    start_date: dt.date | None  # TMT from the directory
    first_seen_on: dt.date | None  # when this service first saw the employee
    end_date: dt.date | None
    active: bool

    def first_day(self) -> dt.date | None:
        return self.start_date if self.start_date is not None else self.first_seen_on

    def skip_reason(self, day: dt.date) -> str | None:
        """None when the employee counts on ``day``, else the code of why not."""
        if not self.active and self.end_date is None:
            return INACTIVE
        first = self.first_day()
        if first is not None and day < first:
            return NOT_YET_EMPLOYED
        if self.end_date is not None and day > self.end_date:
            return ENDED
        return None

    def counts_on(self, day: dt.date) -> bool:
        return self.skip_reason(day) is None
