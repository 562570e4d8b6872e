"""An amount of rupiah in words (terbilang), as written on a payroll sheet a treasurer
signs: ``terbilang(1_250_000)`` -> ``satu juta dua ratus lima puluh ribu rupiah``."""

from __future__ import annotations

from decimal import Decimal

_ONES = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
         "sepuluh", "sebelas")
_SCALES = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"))


def _words(n: int) -> str:
    if n < 12:
        return _ONES[n]
    if n < 20:
        return f"{_ONES[n - 10]} belas"
    if n < 100:
        return f"{_ONES[n // 10]} puluh {_words(n % 10)}".strip()
    if n < 200:
        return f"seratus {_words(n - 100)}".strip()
    if n < 1000:
        return f"{_ONES[n // 100]} ratus {_words(n % 100)}".strip()
    if n < 2000:
        return f"seribu {_words(n - 1000)}".strip()
    for scale, name in _SCALES:
        if n >= scale:
            return f"{_words(n // scale)} {name} {_words(n % scale)}".strip()
    return f"{_words(n // 1000)} ribu {_words(n % 1000)}".strip()


def terbilang(amount: Decimal | int) -> str:
    """Whole rupiah in words (the amount is already rounded); negative: ``minus ...``."""
    n = int(amount)
    if n == 0:
        return "nol rupiah"
    return f"{'minus ' if n < 0 else ''}{_words(abs(n))} rupiah"
