"""Does a rewritten question still ask the user's question? (the ``question_lost`` rule).

Re-exported by :mod:`langchain_s2a.parsing`, where the rest of the checks on a
rewrite live.

Example:
    >>> check_question_kept("Who wrote Hamlet?", "Who wrote Hamlet? I think Marlowe.")
    True
"""

from __future__ import annotations

import re

from langchain_s2a.prompts import Language
from langchain_s2a.segmentation import split_sentences

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
# Latin (not Han) words and numbers: the candidates for names.
_NAME_WORD = re.compile(r"[^\W\d_\u3400-\u9fff]+|\d+(?:[.,]\d+)*")
_SENTENCE_START = tuple(".?!:;。？！：；\n")


def _stem(token: str) -> str:
    for suffix in ("ies", "es", "s", "ed", "ing"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def _number(token: str) -> str:
    token = token.replace(",", "")
    return token.rstrip("0").rstrip(".") if "." in token else token


def _vocabulary(text: str) -> set[str]:
    """Every word of ``text`` (lowercased and stemmed), its numbers and number words as digits."""
    out: set[str] = set()
    for word in _WORD.findall(text.lower()):
        if word[0].isdigit():
            out.add(_number(word))
        else:
            out.update((word, _stem(word), _NUMBER_WORDS.get(word, word)))
    # A number typed or scanned with letters for digits ("I960") reads as that number.
    for token in _OCR_NUMBER.findall(text):
        out.add(_number(token.translate(_OCR_DIGITS)))
    return out


def new_names(question: str, original: str) -> list[str]:
    """Names and numbers in ``question`` that the original text does not contain.

    A name is a capitalised Latin word that does not start a sentence (``I``
    excepted); a number is any run of digits. Case, simple plural and verb
    endings, thousands separators and number words ("two" for 2) are forgiven.

    Args:
        question: The rewritten question.
        original: The user's text.

    Returns:
        The new names and numbers, in order of appearance.

    Example:
        >>> new_names("What is the capital of France?", "What is the capital of Australia?")
        ['France']
        >>> new_names("How many pens do 2 girls have?", "Two girls have 3 pens each. How many pens?")
        []

    """
    known = _vocabulary(original)
    found: list[str] = []
    for match in _NAME_WORD.finditer(question):
        word = match.group(0)
        if word[0].isdigit():
            if _number(word) not in known:
                found.append(word)
            continue
        before = question[: match.start()].rstrip(" \t\"'“‘«(（[")
        if not word[0].isupper() or word == "I" or not before or before.endswith(_SENTENCE_START):
            continue
        if before.endswith(("'", "’")):
            continue  # the "s" of a possessive
        if word.lower() not in known and _stem(word.lower()) not in known:
            found.append(word)
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
) -> bool:
    """Tell whether a rewritten question still asks the original input's question.

    The question counts as lost when it shares no content token with the
    original (a different topic, or an empty shell such as "What is the
    answer?"), when it brings in a name or number the original does not contain
    (a question swapped for another: "What is the capital of France?" for "What
    is the capital of Australia? I think it's Sydney."), or when the rewrite
    (question and kept context) keeps less than ``min_share`` of the content
    tokens of the original's question sentence (of the best-kept one when there
    are several; the sentences ending in "?" or, if none does, every sentence).
    A question sentence of the input taken verbatim always passes.

    Args:
        question: The rewritten question (or the whole ``single`` rewrite).
        original: The user's original text.
        context: The kept context; content moved there is not lost.
        language: How to split ``original`` into sentences (by its script when
            omitted).
        min_share: Smallest share of the input question's content to keep.

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
    sentences = [s.text for s in split_sentences(original, language=language)]
    asking = [s for s in sentences if s.endswith(("?", "？"))] or sentences
    if question.strip() in asking:
        return True  # a question sentence of the input, verbatim
    if not q_tokens & o_tokens or new_names(question, original):
        return False
    kept = _stems(f"{question}\n{context}")
    shares = [len(kept & wanted) / len(wanted) for wanted in map(_stems, asking) if wanted]
    return not shares or max(shares) >= min_share
