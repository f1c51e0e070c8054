"""Read a ``split`` or ``single`` rewrite reply; the rules that judge it are in :mod:`~langchain_s2a._internal.rules`.

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

__all__ = ["ParsedSections", "clean_single", "parse_sections", "read_rewrite"]

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
    "the kept context, or none",
    "保留的上下文，没有则写“无”",
    "无",
    "无。",
    "（无）",
    "没有",
    "空",
}

_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_HAN = re.compile(r"[\u3400-\u9fff]")


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


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    line = text[start:] if end == -1 else text[start:end]
    return " ".join(line.split()).strip(" >#*_-•").lower()


def _user_label_lines(original: str | None) -> set[str]:
    """The labelled lines of the user's own text ("Question: …" written by the user)."""
    if not original:
        return set()
    found = (*_CONTEXT_RE.finditer(original), *_QUESTION_RE.finditer(original))
    return {_line_at(original, m.start()) for m in found}


def _model_labels(regex: re.Pattern[str], text: str, user_lines: set[str]) -> list[re.Match[str]]:
    """Label matches in ``text``, without lines copied from the user's text when others exist."""
    matches = list(regex.finditer(text))
    own = [m for m in matches if _line_at(text, m.start()) not in user_lines]
    return own if own else matches


def parse_sections(text: str, *, original: str | None = None) -> ParsedSections:
    """Split a model's ``split``-variant output into context and question.

    The last question label wins, so label look-alikes quoted inside the context
    stay in the context. Chatter after the question (a new paragraph) is dropped.
    When the sections come in the other order (question first), that works too.

    Args:
        text: The model's raw reply.
        original: The user's text, when known. A labelled line the model copied
            from it word for word ("Question: …" written by the user) is content,
            not a section label, so the model's own outermost labels win; it is
            a label only when the model wrote no label of that kind itself.

    Returns:
        The sections found; a missing section is an empty string.

    Example:
        >>> user = "Context: The sky is green.\\nQuestion: What color is the sky? I think green."
        >>> parse_sections("Context: none\\nQuestion: " + user, original=user).context
        ''

    """
    user_lines = _user_label_lines(original)
    contexts = _model_labels(_CONTEXT_RE, text, user_lines)
    questions = _model_labels(_QUESTION_RE, text, user_lines)
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


def clean_single(text: str, *, original: str | None = None) -> str:
    """Clean a ``single``-variant rewrite: drop fences, a lead-in line and wrapping quotes.

    Args:
        text: The model's raw reply.
        original: The user's text, when known. If the model labelled its reply
            ("Context: …" / "Question: …") although the user's text has no such
            labels, the labels are dropped and the context is followed by the
            question.

    Returns:
        The rewritten text, or an empty string.

    Example:
        >>> clean_single("Here is the rewritten text:\\nWho wrote Hamlet?")
        'Who wrote Hamlet?'
        >>> clean_single("Context: none\\nQuestion: Who wrote Hamlet?", original="Who wrote Hamlet?")
        'Who wrote Hamlet?'

    """
    value = _FENCE.sub("", text.strip()).strip()
    value = _SINGLE_PREFIX.sub("", value)
    if original is not None and not _user_label_lines(original):
        parsed = parse_sections(value)
        if parsed.found_context_label or parsed.found_question_label:
            glue = "" if _HAN.match(parsed.question) else " "
            return glue.join(part for part in (parsed.context, parsed.question) if part)
    return _clean_value(value)


def read_rewrite(raw: str, *, single: bool, original: str | None = None) -> tuple[str, str, bool]:
    """Read a ``split`` (or, with ``single``, a ``single``) reply.

    Args:
        raw: The model's raw reply.
        single: Whether it is a ``single``-variant reply (:func:`clean_single`),
            else a ``split`` one (:func:`parse_sections`).
        original: The user's text, when known.

    Returns:
        ``(context, question, parsed)``; ``parsed`` is ``False`` for a ``split``
        reply without any section label. An empty reply reads as empty sections.

    Example:
        >>> read_rewrite("Context: none\\nQuestion: Who wrote Hamlet?", single=False)
        ('', 'Who wrote Hamlet?', True)
    """
    if not raw.strip():
        return "", "", True
    if single:
        return "", clean_single(raw, original=original), True
    found = parse_sections(raw, original=original)
    parsed = found.found_context_label or found.found_question_label
    return found.context, found.question, parsed
