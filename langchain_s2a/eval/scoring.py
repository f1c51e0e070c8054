"""Scorers: normalised alias containment (TriviaQA) and final-number parsing (GSM-IC).

Example:
    >>> contains_alias("It is the Peter Principle.", ["Peter principle"])
    True
    >>> extract_final_number("So 12 + 30 = 42.\\nFinal answer: $1,000")
    '1000'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from langchain_s2a._internal.text.numbers import find_numbers

__all__ = [
    "contains_alias",
    "extract_final_number",
    "matched_aliases",
    "normalize_answer",
    "numbers_equal",
    "score_gsm",
    "score_trivia",
    "short_answer",
]

_ARTICLES = frozenset({"a", "an", "the"})
# Words too common to count as an answer on their own once articles are stripped
# (alias "The Who" must not match every response containing "who").
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "who",
        "what",
        "which",
        "when",
        "where",
        "why",
        "how",
        "it",
        "is",
        "in",
        "on",
        "of",
        "and",
        "or",
        "to",
        "by",
        "for",
        "at",
        "as",
        "be",
        "was",
        "are",
        "no",
        "not",
        "yes",
        "this",
        "that",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "up",
    ]
)
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{_CJK}]|[^\W\d_{_CJK}]+")
_THOUSANDS = re.compile(r"(?<=\d)[,\u066c\u2009\u202f](?=\d{3}(?!\d))")


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _THOUSANDS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _TOKEN.findall(text)


def normalize_answer(text: str, *, drop_articles: bool = True) -> str:
    """Normalise a text for answer comparison.

    Unicode NFKC, case-folded, accents stripped, thousands separators removed,
    punctuation dropped, CJK split into characters, articles removed (optionally),
    whitespace collapsed.

    Args:
        text: Any text.
        drop_articles: Remove ``a``, ``an``, ``the``.

    Returns:
        Space-separated normalised tokens.

    Example:
        >>> normalize_answer("  The Café-Müller, 1,000 times! ")
        'cafe muller 1000 times'
        >>> normalize_answer("答案是北京")
        '答 案 是 北 京'
    """
    tokens = _tokens(text)
    if drop_articles:
        tokens = [t for t in tokens if t not in _ARTICLES]
    return " ".join(tokens)


def _contains(haystack: str, needle: str) -> bool:
    return bool(needle) and f" {needle} " in f" {haystack} "


def matched_aliases(response: str, aliases: Iterable[str]) -> list[str]:
    """The aliases that occur in ``response`` as whole normalised token sequences.

    Matching is on token boundaries, so ``"1"`` does not match ``"10"``. An alias
    that is a single character (``"Q"``) or only a function word once articles
    are dropped (``"The Who"``) must match more strictly: single characters only
    when the whole response is that character, function words only with their
    articles kept.

    Args:
        response: The model's reply.
        aliases: Accepted answers.

    Returns:
        The matching aliases, in input order.

    Example:
        >>> matched_aliases("There are 10 of them.", ["1", "10", "ten"])
        ['10']
        >>> matched_aliases("Who sang it? The Who.", ["The Who"])
        ['The Who']
        >>> matched_aliases("Who knows.", ["The Who"])
        []
    """
    resp = normalize_answer(response)
    resp_full = normalize_answer(response, drop_articles=False)
    found: list[str] = []
    for alias in aliases:
        norm = normalize_answer(alias)
        if not norm:
            continue
        if len(norm) == 1 and not norm.isdigit():
            hit = resp == norm
        elif norm in _FUNCTION_WORDS:
            full = normalize_answer(alias, drop_articles=False)
            hit = full != norm and _contains(resp_full, full)
        else:
            hit = _contains(resp, norm)
        if hit:
            found.append(alias)
    return found


def contains_alias(response: str, aliases: Iterable[str]) -> bool:
    """Whether ``response`` contains any of ``aliases`` (normalised, whole tokens).

    Example:
        >>> contains_alias("I believe it's PETER'S PRINCIPLE", ["Peter's Principle"])
        True
        >>> contains_alias("It was 10.", ["1"])
        False
        >>> contains_alias("首都是北京。", ["北京"])
        True
    """
    return bool(matched_aliases(response, aliases))


def score_trivia(response: str, aliases: Iterable[str]) -> bool:
    """Trivia score: the response contains a normalised alias (the paper's metric).

    Example:
        >>> score_trivia("Canberra is the capital.", ["Canberra", "Canberra, ACT"])
        True
    """
    return contains_alias(response, aliases)


def short_answer(response: str) -> str:
    """The gist of a free-text answer: the first non-empty line, first sentence.

    Used to compare two answers to the same question (opinion invariance). A
    Chinese full stop ends a sentence without a space after it.

    Example:
        >>> short_answer("The Peter Principle. It states that ...")
        'peter principle'
        >>> short_answer("墨尔本。它是澳大利亚第二大城市。")
        '墨 尔 本'
    """
    for line in response.strip().splitlines():
        line = line.strip()
        if line:
            first = re.split(r"(?<=[.!?])\s|(?<=[。！？])", line, maxsplit=1)[0]
            return normalize_answer(first)
    return ""


# --------------------------------------------------------------------------- numbers

_FINAL_MARKERS = (
    re.compile(r"final\s+answer\s*(?:is|=|:)?", re.IGNORECASE),
    re.compile(
        r"(?:the\s+)?answer\s*(?:is|=|:)|answer\s+(?:would|will)\s+be|"
        r"答案\s*(?:是|为|為|:|=)?|结果\s*(?:是|为|:)",
        re.IGNORECASE,
    ),
    re.compile(r"####|\\boxed\s*\{"),
)


def _clean_math_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\u2013", "-")
    text = re.sub(r"[*_`$€£¥]", "", text)
    text = re.sub(r"\\(?:text|mathrm|textbf)\s*\{([^}]*)\}", r"\1", text)
    # "-$5" -> "-5" after symbol removal is fine; "$ 1,000" -> " 1,000".
    return text


def _canonical(number: str) -> str | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def extract_final_number(response: str) -> str | None:
    """Parse the final numeric answer of a math response.

    Prefers an explicit final-answer marker ("Final answer: ...", then "The answer
    is ...", "答案是 ...", then "####" / ``\\boxed{}``; the last occurrence of the
    strongest marker that has a number on its line), else the last number in the
    text. Commas, currency, markdown emphasis and trailing units are ignored;
    negative and decimal numbers are kept.

    Args:
        response: The model's reply.

    Returns:
        The number in canonical form (``"1000"``, ``"-3.5"``), or ``None``.

    Example:
        >>> extract_final_number("The answer is 1,000.")
        '1000'
        >>> extract_final_number("**42** apples")
        '42'
        >>> extract_final_number("答案是 42")
        '42'
        >>> extract_final_number("It costs -3.50 dollars") is None
        False
    """
    text = _clean_math_text(response)
    for marker in _FINAL_MARKERS:
        for match in reversed(list(marker.finditer(text))):
            rest = text[match.end() :]
            line = rest.split("\n", 1)[0]
            if not line.strip() and "\n" in rest:
                line = rest.split("\n", 2)[1]
            numbers = find_numbers(line)
            if numbers:
                return numbers[0]
    numbers = find_numbers(text)
    return numbers[-1] if numbers else None


def numbers_equal(predicted: str | None, gold: str) -> bool:
    """Numeric equality of a parsed answer and a gold answer (commas stripped).

    Example:
        >>> numbers_equal("1000", "1,000")
        True
        >>> numbers_equal("10", "1")
        False
    """
    if predicted is None:
        return False
    left, right = _canonical(predicted), _canonical(gold.strip())
    return left is not None and left == right


def score_gsm(response: str, gold: str) -> tuple[bool, str | None]:
    """GSM-IC score: the parsed final number equals the gold answer.

    Returns:
        ``(correct, parsed_number)``.

    Example:
        >>> score_gsm("Final answer: 1,600 cookies", "1600")
        (True, '1600')
    """
    number = extract_final_number(response)
    return numbers_equal(number, gold), number
