"""Parse and validate the rewrite a model produced.

The parser accepts the labels our prompts ask for and the common forms models
produce instead: markdown bold or headers, ``:`` or ``：``, any letter case,
chatter before the first label or after the question, the paper's long labels,
and Chinese labels.

Example:
    >>> p = parse_sections("Sure! **Context:** none\\n**Question:** Who wrote Hamlet?")
    >>> (p.context, p.question)
    ('', 'Who wrote Hamlet?')

"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_s2a.numbers import find_numbers, numbers_in

__all__ = [
    "ParsedSections",
    "check_numbers_kept",
    "check_question_kept",
    "clean_single",
    "content_tokens",
    "find_numbers",
    "numbers_in",
    "parse_sections",
]

_CONTEXT_LABELS = [
    r"unbiased\s+text\s+context",
    r"context\s+text\s+related\s+to\s+the\s+question",
    r"unbiased\s+context",
    r"relevant\s+context",
    r"context",
    r"相关上下文",
    r"上下文",
    r"背景信息",
    r"背景",
]
_QUESTION_LABELS = [
    r"question\s*/\s*query",
    r"detailed\s+question",
    r"unbiased\s+question",
    r"question",
    r"query",
    r"详细问题",
    r"问题",
]

# Markdown decoration that may wrap a label: bullets, quotes, headers, bold, italics.
_LEAD = r"[ \t]*(?:[>#*_\-•]+[ \t]*)*"
_DECOR = r"(?:\*\*|__|\*|_)?"
# An optional parenthetical (the paper's labels carry one), then a colon, or the end
# of the line when the label stands alone as a header.
_TAIL = r"[ \t]*(?:[(（][^)）\n]*[)）])?[ \t]*" + _DECOR + r"[ \t]*(?:[:：]|(?=[ \t]*\n))"


def _label_regex(labels: list[str], *, line_start: bool) -> re.Pattern[str]:
    alternatives = "|".join(labels)
    start = r"^" + _LEAD if line_start else r"(?<=[\s.?!。？！])"
    return re.compile(
        start + _DECOR + r"(?:" + alternatives + r")" + _DECOR + _TAIL + _DECOR,
        re.IGNORECASE | re.MULTILINE,
    )


_CONTEXT_RE = _label_regex(_CONTEXT_LABELS, line_start=True)
_QUESTION_RE = _label_regex(_QUESTION_LABELS, line_start=True)
_QUESTION_INLINE_RE = _label_regex(_QUESTION_LABELS, line_start=False)

_EMPTY_VALUES = {
    "",
    "none",
    "none.",
    "(none)",
    "n/a",
    "na",
    "nothing",
    "no context",
    "no context.",
    "empty",
    "-",
    "无",
    "无。",
    "（无）",
    "没有",
    "空",
}

_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


@dataclass(frozen=True)
class ParsedSections:
    """The two sections found in a ``split`` rewrite."""

    context: str
    """The kept context (empty when the model kept none)."""
    question: str
    """The question section (empty when missing)."""
    found_context_label: bool
    """Whether a context label was seen."""
    found_question_label: bool
    """Whether a question label was seen."""


def _clean_value(value: str) -> str:
    value = _FENCE.sub("", value.strip()).strip()
    # Remove decoration left at the edges of a section ("**", quotes around the whole value).
    value = value.strip("*_ \t\n")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        value = value[1:-1].strip()
    if len(value) >= 2 and value[0] == "<" and value[-1] == ">" and "\n" not in value:
        # The model echoed a template placeholder such as "<the question>".
        value = value[1:-1].strip()
    return "" if value.lower() in _EMPTY_VALUES else value


def _first_paragraph(text: str) -> str:
    for paragraph in re.split(r"\n[ \t]*\n", text.strip()):
        if paragraph.strip():
            return paragraph.strip()
    return ""


def parse_sections(text: str) -> ParsedSections:
    """Split a model's ``split``-variant output into context and question.

    The last question label wins, so label look-alikes quoted inside the context
    stay in the context. Chatter after the question (a new paragraph) is dropped.
    When the sections come in the other order (question first), that works too.

    Args:
        text: The model's raw reply.

    Returns:
        The sections found; a missing section is an empty string.

    """
    contexts = list(_CONTEXT_RE.finditer(text))
    questions = list(_QUESTION_RE.finditer(text))
    ctx = contexts[0] if contexts else None
    if not questions:
        start = ctx.end() if ctx else 0
        questions = [m for m in _QUESTION_INLINE_RE.finditer(text) if m.start() >= start]
    qst = questions[-1] if questions else None
    if ctx and qst and qst.start() < ctx.start():
        # Question first, then context: the question runs up to the context label.
        question = _clean_value(_first_paragraph(text[qst.end() : ctx.start()]))
        context = _clean_value(text[ctx.end() :])
    else:
        context = _clean_value(text[ctx.end() : qst.start()] if ctx and qst else "")
        if ctx and not qst:
            context = _clean_value(text[ctx.end() :])
        question = _clean_value(_first_paragraph(text[qst.end() :])) if qst else ""
    return ParsedSections(
        context=context,
        question=question,
        found_context_label=ctx is not None,
        found_question_label=qst is not None,
    )


_SINGLE_PREFIX = re.compile(
    r"^(?:sure|here(?:'s| is)|okay|ok|certainly|rewritten text|rewrite|以下是|好的)[^\n]*[:：]\s*\n",
    re.IGNORECASE,
)


def clean_single(text: str) -> str:
    """Clean a ``single``-variant rewrite: drop fences, a lead-in line and wrapping quotes.

    Args:
        text: The model's raw reply.

    Returns:
        The rewritten text, or an empty string.

    Example:
        >>> clean_single("Here is the rewritten text:\\nWho wrote Hamlet?")
        'Who wrote Hamlet?'

    """
    value = _FENCE.sub("", text.strip()).strip()
    value = _SINGLE_PREFIX.sub("", value)
    return _clean_value(value)


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


def check_question_kept(question: str, original: str) -> bool:
    """Tell whether a rewritten question still asks something from the original input.

    A question that shares no content token with the original (a different topic,
    or an empty shell such as "What is the answer?") counts as lost.

    Args:
        question: The rewritten question (or the whole ``single`` rewrite).
        original: The user's original text.

    Returns:
        ``True`` when the question overlaps the original's content.

    Example:
        >>> check_question_kept("Who wrote Hamlet?", "Who wrote Hamlet? I think Marlowe.")
        True
        >>> check_question_kept("What is the answer?", "Who wrote Hamlet?")
        False

    """
    q_tokens = content_tokens(question)
    o_tokens = content_tokens(original)
    if not o_tokens:
        # Nothing to compare against (e.g. a one-word input): any non-empty question passes.
        return bool(question.strip())
    return bool(q_tokens & o_tokens)


def check_numbers_kept(rewrite: str, original: str, *, min_share: float = 0.5) -> bool:
    """Tell whether a rewrite kept enough of the numbers written in the original.

    A small rewriter sometimes drops the facts of a word problem ("Context: None")
    or keeps only the irrelevant sentence. Inputs with fewer than two distinct
    numbers (digits) always pass; otherwise at least ``min_share`` of them must
    still appear in the rewrite (a relevance rewrite may drop a distractor's).

    Args:
        rewrite: The kept context and question, as the answer step will see them.
        original: The user's original text.
        min_share: Smallest share of the original's numbers to keep.

    Returns:
        ``True`` when enough numbers were kept.

    Example:
        >>> text = "Ann has 3 pens and buys 4 more. Tom is 80. How many pens?"
        >>> check_numbers_kept("Ann has 3 pens and buys 4 more. How many pens?", text)
        True
        >>> check_numbers_kept("How many pens does Ann have?", text)
        False
    """
    wanted = numbers_in(original)
    if len(wanted) < 2:
        return True
    return len(wanted & numbers_in(rewrite)) >= min_share * len(wanted)
