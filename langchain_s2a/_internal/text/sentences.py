"""Sentence segmentation with character spans, for the extractive S2A variant.

Uses pysbd (rule-based sentence boundary disambiguation: abbreviations, decimals,
quotes, ellipses) for English and Chinese.

Example:
    >>> [s.text for s in split_sentences("Dr. Smith paid $3.50. Who wrote Hamlet?")]
    ['Dr. Smith paid $3.50.', 'Who wrote Hamlet?']
    >>> [s.text for s in split_sentences("小明有3.5个苹果。小明有几个苹果？")]
    ['小明有3.5个苹果。', '小明有几个苹果？']

    An opinion glued to a question without a question mark is its own sentence:

    >>> [s.text for s in split_sentences("Name the largest ocean I think it's the Atlantic.")]
    ['Name the largest ocean', "I think it's the Atlantic."]
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from langchain_s2a._internal.text.language import detect_language
from langchain_s2a.options import Language

__all__ = ["Sentence", "asks", "split_sentences"]

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Sentence:
    """One sentence of the input, numbered from 1, with its span in the input."""

    id: int
    """1-based sentence number, as shown to the model."""
    text: str
    """The sentence, stripped of surrounding white space."""
    start: int
    """Offset of the first character in the input."""
    end: int
    """Offset one past the last character in the input (``text == input[start:end]``)."""


@lru_cache(maxsize=4)
def _segmenter(language: Language) -> Any:
    import pysbd

    return pysbd.Segmenter(language=language, clean=False, char_span=True)


_CLOSERS = "”’」』）)\"'"
_ASK_CLOSERS = _CLOSERS + "]》〉*_ \t\n"


def asks(text: str) -> bool:
    """Whether a sentence asks: its last character, past closing quotes and brackets, is ``?``.

    The one test of a question in the package: the rewrite rules, the judgement plan and
    the question repair all use it.

    Example:
        >>> asks("Who wrote Hamlet?"), asks("“谁写的？”"), asks('He asked "who wrote it?"'), asks("Hi.")
        (True, True, True, False)
    """
    return text.rstrip(_ASK_CLOSERS).endswith(("?", "？"))


_TERMINAL = tuple(".?!。？！…;；:：") + tuple(_CLOSERS)
_LIST_NUMBER = re.compile(r"\d{1,3}\.(?=\s)")


def _exact_bounds(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Contiguous ``(start, end)`` bounds covering ``text`` for pysbd's pieces."""
    bounds: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        start = text.find(piece, cursor) if piece else -1
        if start < 0:
            continue
        bounds.append((cursor, start + len(piece)))
        cursor = start + len(piece)
    if cursor < len(text):
        if bounds:
            bounds[-1] = (bounds[-1][0], len(text))
        else:
            bounds.append((0, len(text)))
    return bounds


def _repair(text: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Fix two pysbd habits (a closing quote or an "is 1." pushed to the next sentence)."""
    fixed = list(bounds)
    for i in range(len(fixed) - 1):
        start, end = fixed[i]
        n_start, n_end = fixed[i + 1]
        head = text[start:end].rstrip()
        nxt = text[n_start:n_end]
        move = 0
        while move < len(nxt) and nxt[move] in _CLOSERS and head.endswith(tuple(".?!。？！…")):
            move += 1
        if not move and head and not head.endswith(_TERMINAL):
            match = _LIST_NUMBER.match(nxt)
            if match:
                move = match.end()
        if move:
            fixed[i] = (start, n_start + move)
            fixed[i + 1] = (n_start + move, n_end)
    return [(a, b) for a, b in fixed if b > a]


_MARK_BREAK = re.compile(r"(?<=[!?！？])[\s]+(?=[^\s!?！？\"'”’」』）)\]])")


def _split_marks(text: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cut after every "!" or "?" followed by more text, outside quotes.

    pysbd reads "last week! the pet shop guy said …" (a lower-case word after the mark,
    as users type) as one sentence; a question or exclamation mark ends one.
    """
    out: list[tuple[int, int]] = []
    for start, end in bounds:
        cut = start
        for match in _MARK_BREAK.finditer(text, start, end):
            head = text[cut : match.start()]
            if sum(head.count(q) for q in _QUOTES) % 2 == 0 and head.strip():
                out.append((cut, match.start()))
                cut = match.start()
        out.append((cut, end))
    return out


# An opinion clause glued to a question that has no question mark ("Name the first
# man on the moon I think the answer is Armstrong, but I'm not sure."): these
# openers start a new sentence when the text before them is not itself ended.
_OPINION_EN = (
    r"I (?:really |honestly |personally )?(?:don't |do not )?(?:think|believe|guess|suspect|feel)\b"
    r"|I'm (?:not |pretty |quite |fairly |really )*sure\b"
    r"|I am (?:not |pretty |quite |fairly |really )*sure\b|In my (?:opinion|view)\b"
)
_OPINION_ZH = r"我(?:不|并不)?(?:认为|觉得|相信|猜)"
"""How an opinion starts, in English and Chinese."""
_OPINION_OPENER = re.compile(
    rf"(?<=\S)[ \t]+(?=(?:{_OPINION_EN}))|(?<=[^\s，,。？！?!])(?={_OPINION_ZH})"
)

_ASIDE = re.compile(
    rf"^(?:{_OPINION_EN}|{_OPINION_ZH})\s*(?:[,，]|[.!?。！？…]*\s*$)", re.IGNORECASE
)
_QUOTES = '"“”「」『』'  # apostrophes are too common in names to count as quotes


def _split_opinion_clauses(text: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split a sentence where an opinion clause starts inside it (see ``_OPINION_OPENER``).

    Only a clause that runs to the end of the sentence, after at least three words
    (or four Han characters) outside any quotation, is split off.
    """
    out: list[tuple[int, int]] = []
    for start, end in bounds:
        piece = text[start:end]
        cut = None
        for match in _OPINION_OPENER.finditer(piece):
            head = piece[: match.start()].strip()
            words = len(head.split()) if not re.search(r"[\u3400-\u9fff]", head) else len(head)
            balanced = sum(head.count(q) for q in _QUOTES) % 2 == 0
            # The head must be the question, not an opinion itself ("I think it's X
            # but I'm not sure" stays one sentence).
            opinion_head = bool(_OPINION_OPENER.search("x " + head))
            # "My GPA is 3.4 I think, and …" / "It expires, I believe, on May 3" / "…at 7am
            # I think.": a stance set off by a comma, or ending the sentence, qualifies the
            # clause before it; it starts no sentence.
            aside = bool(_ASIDE.match(piece[match.end() :]))
            if (
                words >= (4 if re.search(r"[\u3400-\u9fff]", head) else 3)
                and balanced
                and not opinion_head
                and not aside
                and not head.endswith((",", "，"))
            ):
                cut = match.end()
                break
        if cut is None:
            out.append((start, end))
        else:
            out.extend([(start, start + cut), (start + cut, end)])
    return out


def split_sentences(text: str, *, language: Language | None = None) -> list[Sentence]:
    """Split ``text`` into sentences whose spans point back into ``text`` exactly.

    Args:
        text: The input.
        language: ``"en"`` or ``"zh"``; detected from the script when omitted.

    Returns:
        The non-empty sentences in order, numbered from 1.
    """
    return list(_split(text, language or detect_language(text)))


@lru_cache(maxsize=256)
def _split(text: str, lang: Language) -> tuple[Sentence, ...]:
    # Cached: one extractive rewrite segments its input several times (the prompt,
    # the reply's interpretation, the question check), and Sentence is frozen.
    with _LOCK:  # pysbd segmenters keep state between calls
        spans = _segmenter(lang).segment(text)
    bounds = _exact_bounds(text, [str(span.sent) for span in spans])
    sentences: list[Sentence] = []
    for start, end in _split_opinion_clauses(text, _split_marks(text, _repair(text, bounds))):
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            s_start = start + len(piece) - len(piece.lstrip())
            sentences.append(
                Sentence(len(sentences) + 1, stripped, s_start, s_start + len(stripped))
            )
    if not sentences and text.strip():
        lead = len(text) - len(text.lstrip())
        stripped = text.strip()
        sentences.append(Sentence(1, stripped, lead, lead + len(stripped)))
    return tuple(sentences)
