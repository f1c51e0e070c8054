"""Reading numbers written with digits: the one number reader of the package.

The ``facts_lost`` rewrite rule (:func:`langchain_s2a._internal.rules.ladder.check_numbers_kept`)
and the evaluation diagnostics count numbers with :func:`numbers_in`; the GSM-IC
scorer reads its final number with :func:`find_numbers`.

Example:
    >>> sorted(numbers_in("Ann has 3 pens and buys 1,000 more."), key=float)
    ['3', '1000']
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["find_numbers", "numbers_in"]

# A number written with digits: ``1,000`` (thousands groups), ``-3.5``, ``42``; not inside a
# word (``a1``) or after a decimal point, but right after a Han / kana / Hangul character
# (Chinese writes "有3个").
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_START = rf"(?<![^\W{_CJK}])(?<!\.)"
_NUMBER = re.compile(rf"{_START}-?\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?!\d)|{_START}-?\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[$€£¥]")
_MARKUP = re.compile(r"[*_`]")


def _canonical_number(number: str) -> str:
    digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in number)
    digits = digits.replace(",", "")
    sign = "-" if digits.startswith("-") else ""
    whole, _, frac = digits.lstrip("-").partition(".")
    value = (whole.lstrip("0") or "0") + (f".{frac.rstrip('0')}" if frac.rstrip("0") else "")
    return value if value == "0" else sign + value


def find_numbers(text: str) -> list[str]:
    """The numbers written with digits in ``text``, in order, in canonical form.

    The one number reader of the package: the ``facts_lost`` rewrite check and the
    evaluation diagnostics count numbers with it, and the GSM-IC scorer reads its
    final number with it (after its own clean-up of math markup). Text is
    NFKC-normalised (full-width digits), currency signs are dropped, markdown
    emphasis separates (``**3**`` is ``3``, ``3*4`` is ``3`` and ``4``), thousands
    separators are removed, and ``2.50`` is ``2.5``, ``007`` is ``7``; a minus sign
    counts only where it does not join two numbers (``3-5`` is ``3`` and ``5``).
    A number inside a word (``a1``) is not one, but Chinese or Japanese characters
    may touch it (``有3个``). Numbers written as words are not found.

    Args:
        text: Any text.

    Returns:
        Canonical number strings, one per occurrence.

    Example:
        >>> find_numbers("He paid $1,000 for 2.0 bikes, -3 degrees, ages 3-5, three hats.")
        ['1000', '2', '-3', '3', '5']
    """
    clean = unicodedata.normalize("NFKC", text).replace("\u2212", "-").replace("\u2013", "-")
    clean = _MARKUP.sub(" ", _CURRENCY.sub("", clean))
    return [_canonical_number(m.group(0)) for m in _NUMBER.finditer(clean)]


def numbers_in(text: str) -> set[str]:
    """The distinct numbers written with digits in ``text`` (see :func:`find_numbers`).

    Example:
        >>> sorted(numbers_in("He paid $1,000 for 2.0 bikes and 2 hats."), key=float)
        ['2', '1000']
    """
    return set(find_numbers(text))
