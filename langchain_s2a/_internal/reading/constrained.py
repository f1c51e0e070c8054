"""Constrained replies: extractive ones (``Keep: 1, 3`` / ``Question: 4``), structured sections.

On the embedded llama.cpp model a GBNF grammar admits only the reply format with
sentence numbers that exist, so the reply always parses and ends right after the
question number; a model with structured output (``with_structured_output``) is asked
for ``{"keep": [...], "question": n}``, turned back into the same text. Other models
are called as they are. The ``split`` variant's structured output (:class:`Sections`)
and what a failing structured call means (:func:`structured_unsupported`) are here too.

Example:
    >>> print(extractive_grammar(3, language="en"))
    root ::= "Keep: " keep "\\nQuestion: " num
    keep ::= "none" | num (", " num){0,2}
    num ::= "1" | "2" | "3"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, Field

from langchain_s2a._internal.io.calls import is_unsupported
from langchain_s2a.options import Language
from langchain_s2a.prompts._judge import VERDICTS

__all__ = [
    "ExtractiveReply",
    "Sections",
    "Verdict",
    "constrain_extractive",
    "constrain_judgement",
    "extractive_grammar",
    "has_structured_output",
    "judgement_grammar",
    "reply_text",
    "sections_model",
    "structured_unsupported",
    "supports_grammar",
]

_LABELS: dict[str, tuple[str, str, str]] = {
    "en": ("Keep: ", "Question: ", "none"),
    "zh": ("保留：", "问题：", "无"),
}


class ExtractiveReply(BaseModel):
    """Sentence numbers picked by the model (structured-output schema)."""

    keep: list[int] = Field(description="Numbers of the sentences to keep; empty if none.")
    question: int = Field(description="Number of the sentence that asks the question.")


def extractive_grammar(n_sentences: int, *, language: Language) -> str:
    """A GBNF grammar for an extractive reply over ``n_sentences`` numbered sentences.

    Args:
        n_sentences: How many sentences the input has (at least 1 is assumed).
        language: Labels of the reply format (``"en"`` or ``"zh"``).

    Returns:
        The grammar text (llama.cpp GBNF).
    """
    keep_label, question_label, none = _LABELS[language]
    n = max(1, n_sentences)
    numbers = " | ".join(f'"{i}"' for i in range(1, n + 1))
    more = f' (", " num){{0,{n - 1}}}' if n > 1 else ""
    return (
        f'root ::= "{keep_label}" keep "\\n{question_label}" num\n'
        f'keep ::= "{none}" | num{more}\n'
        f"num ::= {numbers}"
    )


def reply_text(reply: ExtractiveReply, *, language: Language) -> str:
    """The text form of a structured reply.

    Example:
        >>> reply_text(ExtractiveReply(keep=[1, 3], question=4), language="en")
        'Keep: 1, 3\\nQuestion: 4'
    """
    keep_label, question_label, none = _LABELS[language]
    keep = ", ".join(str(i) for i in reply.keep) or none
    return f"{keep_label}{keep}\n{question_label}{reply.question}"


def has_structured_output(model: Runnable[Any, Any]) -> bool:
    """Whether ``model`` is a chat model with its own tool calling / structured output.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> has_structured_output(GenericFakeChatModel(messages=iter([])))
        False
    """
    if not isinstance(model, BaseChatModel):
        return False
    cls = type(model)
    return (
        cls.bind_tools is not BaseChatModel.bind_tools
        or cls.with_structured_output is not BaseChatModel.with_structured_output
    )


def supports_grammar(model: Runnable[Any, Any]) -> bool:
    """Whether ``model``'s class declares that a ``grammar`` call option constrains its reply.

    The embedded llama.cpp model does (``ChatLocalLlama.supports_grammar``); a wrapper
    (a binding, fallbacks) and other models do not.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> supports_grammar(GenericFakeChatModel(messages=iter([])))
        False
    """
    return getattr(type(model), "supports_grammar", False) is True


def constrain_extractive(
    model: Runnable[LanguageModelInput, BaseMessage], n_sentences: int, *, language: Language
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` constrained to extractive replies over ``n_sentences`` sentences.

    Args:
        model: The rewriting model.
        n_sentences: Number of sentences in the numbered input.
        language: Language of the reply labels.

    Returns:
        A runnable returning an ``AIMessage`` whose text is an extractive reply:
        ``model`` bound to a grammar (where :func:`supports_grammar`), a
        structured-output call converted to text, or ``model`` itself.
    """
    if supports_grammar(model):
        return model.bind(grammar=extractive_grammar(n_sentences, language=language))
    if not has_structured_output(model):
        return model
    return _as_text(model, ExtractiveReply, lambda reply: reply_text(reply, language=language))


_S = TypeVar("_S", bound=BaseModel)


def _as_text(
    model: Runnable[LanguageModelInput, BaseMessage],
    schema: type[_S],
    render: Callable[[_S], str],
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` asked for ``schema`` by structured output, its answer rendered as text.

    An answer that does not parse gives the raw reply (the text path reads it).
    """
    structured = model.with_structured_output(schema, include_raw=True)  # type: ignore[attr-defined]

    def to_message(out: dict[str, Any]) -> BaseMessage:
        raw, parsed = out.get("raw"), out.get("parsed")
        if not isinstance(parsed, schema):
            return raw if isinstance(raw, BaseMessage) else AIMessage("")
        return AIMessage(
            render(parsed),
            usage_metadata=getattr(raw, "usage_metadata", None),
            response_metadata=dict(getattr(raw, "response_metadata", None) or {}),
        )

    chain: Runnable[LanguageModelInput, BaseMessage] = structured | RunnableLambda(to_message)
    return chain


class Verdict(BaseModel):
    """One judgement (structured-output schema): is the sentence needed?"""

    needed: bool = Field(description="Whether the sentence is needed to answer the question.")


def judgement_grammar(language: Language) -> str:
    """A GBNF grammar admitting only the two verdicts of ``language``.

    Example:
        >>> judgement_grammar("en")
        'root ::= "yes" | "no"'
    """
    yes, no = VERDICTS[language]
    return f'root ::= "{yes}" | "{no}"'


def constrain_judgement(
    model: Runnable[LanguageModelInput, BaseMessage],
    *,
    language: Language,
    structured: bool = True,
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` constrained to reply to a judgement with one of the two verdicts.

    The embedded llama.cpp model gets a grammar (the more probable of the two verdicts
    is taken); a model with structured output (when ``structured``) is asked for a
    :class:`Verdict`, turned back into the verdict word; other models are called as
    they are, and their reply is read by :func:`~langchain_s2a.prompts._judge.read_verdict`.
    So a judgement cannot echo what the judged sentence demands.

    Args:
        model: The judging model.
        language: Language of the verdict words.
        structured: Use structured output where the model has it.

    Returns:
        A runnable returning an ``AIMessage`` whose text is a verdict (or the model's
        own reply, for a model that cannot be constrained).
    """
    if supports_grammar(model):
        return model.bind(grammar=judgement_grammar(language))
    if not structured or not has_structured_output(model):
        return model
    yes, no = VERDICTS[language]
    return _as_text(model, Verdict, lambda verdict: yes if verdict.needed else no)


class Sections(BaseModel):
    """Sections of an S2A rewrite (structured-output schema of the ``split`` variant)."""

    context: str = Field(description="The kept context; empty string if none is kept.")
    question: str = Field(description="The user's question, stated completely.")


def sections_model(
    model: Runnable[LanguageModelInput, BaseMessage],
) -> Runnable[LanguageModelInput, dict[str, Any]]:
    """``model`` asked for :class:`Sections` (``{"raw", "parsed", "parsing_error"}`` out)."""
    chat = cast("BaseChatModel", model)
    return cast(
        "Runnable[LanguageModelInput, dict[str, Any]]",
        chat.with_structured_output(Sections, include_raw=True),
    )


def structured_unsupported(exc: Exception, *, forced: bool) -> bool:
    """Decide what a failed structured-output call means.

    With ``forced`` (``structured_output=True``) it is raised. Otherwise timeouts,
    lost connections and rate limits are raised, since a text call would fail the
    same way; a definite "not supported" answer (:func:`is_unsupported`) returns
    ``True``: the caller switches to the text path for good; any other error (a
    5xx, a parser error) returns ``False``: only this call takes the text path.

    Raises:
        Exception: ``exc`` itself, when a text call cannot do better.

    Example:
        >>> structured_unsupported(NotImplementedError(), forced=False)
        True
    """
    if forced or isinstance(exc, TimeoutError | ConnectionError):
        raise exc
    if any(name in type(exc).__name__ for name in ("APIConnection", "APITimeout", "RateLimit")):
        raise exc
    return is_unsupported(exc)
