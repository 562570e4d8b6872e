"""Rupiah in words (scoring.domain.terbilang) at the edges of every form of the Indonesian
numerals: the teens, the tens, seratus/seribu against "satu ratus"/"satu ribu", and each
scale (juta, miliar, triliun) exactly and just past it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring.domain.terbilang import terbilang


@pytest.mark.parametrize(("amount", "words"), [
    (10, "sepuluh"), (12, "dua belas"), (20, "dua puluh"), (21, "dua puluh satu"),
    (99, "sembilan puluh sembilan"), (101, "seratus satu"), (110, "seratus sepuluh"),
    (199, "seratus sembilan puluh sembilan"), (200, "dua ratus"),
    (999, "sembilan ratus sembilan puluh sembilan"), (1001, "seribu satu"),
    (2000, "dua ribu"), (11_000, "sebelas ribu"), (100_000, "seratus ribu"),
    (999_999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh "
              "sembilan"),
    (1_000_000, "satu juta"), (1_001_000, "satu juta seribu"),
    (1_000_000_000, "satu miliar"), (1_000_000_000_000, "satu triliun"),
    (2_500_000_000_000, "dua triliun lima ratus miliar"),
    (999_000_000, "sembilan ratus sembilan puluh sembilan juta"),
])
def test_numerals_at_the_edges_of_their_forms(amount: int, words: str) -> None:
    assert terbilang(amount) == f"{words} rupiah"


def test_negative_amounts_and_decimals() -> None:
    assert terbilang(-1) == "minus satu rupiah"
    assert terbilang(Decimal("-1250000")) == "minus satu juta dua ratus lima puluh ribu rupiah"
    assert terbilang(Decimal("2079000")) == "dua juta tujuh puluh sembilan ribu rupiah"
