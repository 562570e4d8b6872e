"""The rule of a close with items still open: refused with the list unless confirmed."""

from __future__ import annotations

import pytest

from scoring.domain.month_end import (
    OpenItem,
    OpenItemsUnconfirmed,
    confirm_close,
    open_items,
)


def test_nothing_open_closes_without_confirmation() -> None:
    assert confirm_close("2026-10", [], confirmed=False) == []
    assert confirm_close("2026-10", [], confirmed=True) == []


def test_open_items_need_confirmation_and_are_returned_for_the_record() -> None:
    items = [OpenItem("undecided_entries", "3 aktivitas belum diputuskan", source="activity",
                      count=3),
             *open_items({"N1": ["compliance_not_entered"], "N2": []}, late_pending=2)]
    with pytest.raises(OpenItemsUnconfirmed) as refused:
        confirm_close("2026-10", items, confirmed=False)
    assert (refused.value.status_code, refused.value.code) == (409, "open_items")
    assert refused.value.items == items
    assert "3 hal" in refused.value.message
    assert confirm_close("2026-10", items, confirmed=True) == items
    assert [(i.source, i.code, i.size) for i in items] == [
        ("activity", "undecided_entries", 3), ("scoring", "compliance_not_entered", 1),
        ("scoring", "late_facts_pending", 2)]
