"""Does a rewritten question still ask the user's question? (the ``question_lost`` rule).

The rest of the rules on a rewrite, and the ladder that applies them in order, are in
:mod:`~langchain_s2a._internal.rules.ladder`.

Example:
    >>> check_question_kept("Who wrote Hamlet?", "Who wrote Hamlet? I think Marlowe.")
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_s2a._internal.text.numbers import find_numbers, numbers_in
from langchain_s2a._internal.text.sentences import asks, split_sentences
from langchain_s2a.options import Language

__all__ = ["check_question_kept", "content_tokens", "new_names"]

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "me",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "do",
        "does",
        "did",
        "done",
        "not",
        "no",
        "yes",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "there",
        "here",
        "than",
        "then",
        "so",
        "such",
        "very",
        "just",
        "also",
        "about",
        "into",
        "over",
        "under",
        "question",
        "context",
        "answer",
        "please",
        "tell",
        "know",
        "think",
        "sure",
        "really",
    ]
)
_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)*", re.UNICODE)


def content_tokens(text: str) -> set[str]:
    """Return the content-bearing tokens of ``text`` (lowercased words, numbers, Han bigrams).

    Args:
        text: Any text.

    Returns:
        A set of tokens used to check that a rewrite still asks the user's question.

    Example:
        >>> sorted(content_tokens("What is the capital of France?"))
        ['capital', 'france']

    """
    tokens: set[str] = set()
    for word in _WORD.findall(text.lower()):
        han = re.findall(r"[\u3400-\u9fff]", word)
        if han:
            chars = "".join(han)
            tokens.update(chars[i : i + 2] for i in range(max(len(chars) - 1, 1)))
        elif word[0].isdigit() or (len(word) > 2 and word not in _STOPWORDS):
            tokens.add(word.replace(",", ""))
    return tokens


_NUMBER_WORDS = dict(
    (word, str(value))
    for value, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
)
_OCR_NUMBER = re.compile(r"\b(?=[IlOo\d]*\d)(?=[\d]*[IlOo])[IlOo\d]{2,}\b")
_OCR_DIGITS = str.maketrans("IlOo", "1100")
# Latin (not Han) words: the candidates for names.
_LATIN_WORD = re.compile(r"[^\W\d_\u3400-\u9fff]+")
# Two or more capitalised words in a row, "of"/"and"/"the" allowed between them.
_TITLE_RUN = re.compile(r"[A-Z][a-z]+(?:[ \t]+(?:(?:of|and|the)[ \t]+)?[A-Z][a-z]+)+")
_SENTENCE_START = tuple(".?!:;。？！：；\n")


def _stem(token: str) -> str:
    for suffix in ("ies", "es", "s", "ed", "ing"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def _number(token: str) -> str:
    token = token.replace(",", "")
    return token.rstrip("0").rstrip(".") if "." in token else token


def _words(text: str) -> set[str]:
    """Every Latin word of ``text``, lowercased, and its stem (``Obama`` in ``Obama的妻子``)."""
    words = set(_LATIN_WORD.findall(text.lower()))
    return words | {_stem(word) for word in words}


def _numbers(text: str, words: set[str]) -> set[str]:
    """The numbers of ``text``: written with digits, as number words, or scanned ("I960")."""
    out = numbers_in(text) | {_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS}
    for token in _OCR_NUMBER.findall(text):
        out |= numbers_in(token.translate(_OCR_DIGITS))
    return out


def _acronym_words(question: str, original: str) -> set[str]:
    """Words of ``question`` that spell out an acronym of ``original`` ("United States": USA).

    Also the other way round: an acronym in ``question`` spelled out in ``original``.
    """
    spelled: set[str] = set()
    for text, other in ((question, original), (original, question)):
        acronyms = {w for w in _LATIN_WORD.findall(other) if len(w) >= 2 and w.isupper()}
        for run in _TITLE_RUN.finditer(text):
            words = [w for w in run.group(0).split() if w[0].isupper()]
            initials = "".join(w[0] for w in words)
            matches = [a for a in acronyms if a.startswith(initials) or initials.startswith(a)]
            if len(initials) >= 2 and matches:
                spelled.update(words if text is question else matches)
    return spelled


def new_names(question: str, original: str) -> list[str]:
    """Names and numbers in ``question`` that the original text does not contain.

    A name is a capitalised Latin word that does not start a sentence (``I``
    excepted); numbers are read with :func:`langchain_s2a._internal.text.numbers.find_numbers`.
    Case, simple plural and verb endings, number words ("two" for 2), digits
    scanned as letters ("I960" for 1960) and acronyms spelled out ("the United
    States" for "the USA", or the other way round) are forgiven. Names in Han
    script are not recognised (Chinese has no capitals), so for a Chinese
    question only the numbers and the content-share rule of
    :func:`check_question_kept` apply: "法国的首都是哪座城市？" still passes for
    "澳大利亚的首都是哪座城市？".

    Args:
        question: The rewritten question.
        original: The user's text.

    Returns:
        The new names (in order of appearance), then the new numbers (canonical).

    Example:
        >>> new_names("What is the capital of France?", "What is the capital of Australia?")
        ['France']
        >>> new_names("How many pens do 2 girls have?", "Two girls have 3 pens each. How many pens?")
        []

    """
    words = _words(original)
    spelled = _acronym_words(question, original)
    found: list[str] = []
    for match in _LATIN_WORD.finditer(question):
        word = match.group(0)
        before = question[: match.start()].rstrip(" \t\"'“‘«(（[")
        if not word[0].isupper() or word == "I" or not before or before.endswith(_SENTENCE_START):
            continue
        if before.endswith(("'", "’")):
            continue  # the "s" of a possessive
        if word in spelled or word in found:
            continue
        if word.lower() not in words and _stem(word.lower()) not in words:
            found.append(word)
    known = _numbers(original, words)
    for number in find_numbers(question):
        if number not in known and number not in found:
            found.append(number)
    return found


def _stems(text: str) -> set[str]:
    return {_number(t) if t[0].isdigit() else _stem(t) for t in content_tokens(text)}


def check_question_kept(
    question: str,
    original: str,
    *,
    context: str = "",
    language: Language | None = None,
    min_share: float = 0.5,
    sentences: Sequence[str] | None = None,
) -> bool:
    """Tell whether a rewritten question still asks the original input's question.

    The question counts as lost when it shares no content token with the
    original (a different topic, or an empty shell such as "What is the
    answer?"), when it brings in a name or number the original does not contain
    (a question swapped for another: "What is the capital of France?" for "What
    is the capital of Australia? I think it's Sydney."), or when the rewrite
    (question and kept context) keeps less than ``min_share`` of the content
    tokens of the original's question sentence (of the best-kept one when there
    are several; the sentences ending in "?", maybe inside closing quotes, or if
    none does, every sentence).
    A question sentence of the input taken verbatim always passes.

    Args:
        question: The rewritten question (or the whole ``single`` rewrite).
        original: The user's original text.
        context: The kept context; content moved there is not lost.
        language: How to split ``original`` into sentences (by its script when
            omitted).
        min_share: Smallest share of the input question's content to keep.
        sentences: The sentences of ``original`` when already split (as
            ``language`` splits them), so they are not split again.

    Returns:
        ``True`` when the question is still the original's.

    Example:
        >>> check_question_kept("Who wrote Hamlet?", "Who wrote Hamlet? I think Marlowe.")
        True
        >>> check_question_kept("What is the answer?", "Who wrote Hamlet?")
        False
        >>> check_question_kept(
        ...     "What is the capital of France?",
        ...     "What is the capital of Australia? I think it's Sydney.",
        ... )
        False

    """
    q_tokens = content_tokens(question)
    o_tokens = content_tokens(original)
    if not o_tokens:
        # Nothing to compare against (e.g. a one-word input): any non-empty question passes.
        return bool(question.strip())
    if sentences is None:
        sentences = [s.text for s in split_sentences(original, language=language)]
    asking = [s for s in sentences if asks(s)] or sentences
    if question.strip() in asking:
        return True  # a question sentence of the input, verbatim
    if not q_tokens & o_tokens or new_names(question, original):
        return False
    kept = _stems(f"{question}\n{context}")
    shares = [len(kept & wanted) / len(wanted) for wanted in map(_stems, asking) if wanted]
    return not shares or max(shares) >= min_share
