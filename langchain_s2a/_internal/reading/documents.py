"""Per-document judgements of the RAG compressor (``mode="judge"``), internal.

One short call per document: the instructions and the question are a shared prompt
prefix (read once by a model that reuses prefixes, such as the embedded one) and
each call reads only its own document and writes one word, ``yes`` or ``no``
(a grammar admits only these on the embedded llama.cpp model). A kept document
is returned whole and unchanged.

Example:
    >>> verdict("Yes."), verdict("否"), verdict("maybe")
    (True, False, None)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from langchain_s2a._internal.reading.judgements import judge_model
from langchain_s2a._internal.text.sentences import split_sentences
from langchain_s2a.options import Language
from langchain_s2a.prompts._rag import JUDGE_ANSWERS, document_judge_prompt

__all__ = [
    "assemble_judged",
    "judge_messages",
    "judge_runnable",
    "judge_score",
    "judged_document",
    "kept_by_score",
    "verdict",
]

_TOP_LOGPROBS = 10

_YES = ("yes", "y", "是", "有", "相关")
_NO = ("no", "n", "否", "不", "无")


def verdict(reply: str) -> bool | None:
    """Read a judgement: ``True`` (keep), ``False`` (drop) or ``None`` (unusable)."""
    text = reply.strip().lower().lstrip("\"'“*([ ")
    word = text.split(maxsplit=1)[0].rstrip(".,!:;。，！：；\"'”*)]") if text else ""
    if word in _YES or (word and word[0] in "是有"):
        return True
    if word in _NO or (word and word[0] in "否不无"):
        return False
    return None


def judge_score(reply: BaseMessage) -> float | None:
    """How sure the model is that the document is needed: P(yes) / (P(yes) + P(no)).

    Read from the first token's ``top_logprobs`` where the model reports them
    (``response_metadata["logprobs"]``, OpenAI's shape, as the embedded model
    gives with ``top_logprobs``); otherwise 1.0 for a yes and 0.0 for a no reply,
    ``None`` for an unusable one.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> top = [{"token": "no", "logprob": -0.5}, {"token": "yes", "logprob": -1.0}]
        >>> msg = AIMessage("no", response_metadata={"logprobs": {"content": [{"top_logprobs": top}]}})
        >>> round(judge_score(msg), 3)
        0.378
        >>> judge_score(AIMessage("yes"))
        1.0
    """
    import math

    content = ((reply.response_metadata or {}).get("logprobs") or {}).get("content") or []
    top = content[0].get("top_logprobs") if content and isinstance(content[0], dict) else None
    if top:
        p_yes = p_no = 0.0
        for entry in top:
            word = verdict(str(entry.get("token", "")))
            p = math.exp(float(entry.get("logprob", -math.inf)))
            if word is True:
                p_yes += p
            elif word is False:
                p_no += p
        if p_yes + p_no > 0:
            return p_yes / (p_yes + p_no)
    word = verdict(reply.text)
    return None if word is None else float(word)


def kept_by_score(
    scores: dict[int, float | None], *, threshold: float, relative: float, keep_best: int
) -> set[int]:
    """Which documents a judgement keeps, from their scores (``None``: unusable, not kept).

    A document is kept when its score reaches ``threshold``, or ``relative`` times
    the best score (a model unsure of every document still keeps those nearly as
    good as its best), or when it is among the ``keep_best`` best-scored with a
    score above 0 (a plain "no" from a model without log-probabilities stays out).

    Example:
        >>> kept_by_score({0: 0.3, 1: 0.05, 2: 0.2, 3: 0.1}, threshold=0.5, relative=0.5,
        ...               keep_best=1)
        {0, 2}
    """
    usable = {i: s for i, s in scores.items() if s is not None}
    ranked = sorted(usable, key=lambda i: (-usable[i], i))
    best = usable[ranked[0]] if ranked else 0.0
    floor = min(threshold, relative * best)
    top = {i for i in ranked[:keep_best] if usable[i] > 0}
    return {i for i, s in usable.items() if s >= floor and s > 0} | top


def judge_messages(query: str, text: str, *, language: Language) -> list[BaseMessage]:
    """The messages of one document's judgement."""
    system, human = document_judge_prompt(query, text, language=language)
    return [SystemMessage(system), HumanMessage(human)]


def judge_runnable(
    model: Runnable[LanguageModelInput, BaseMessage], *, language: Language
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``model`` made to reply one word: a grammar on the embedded model, else a short cap."""
    yes, no = JUDGE_ANSWERS[language]
    if getattr(type(model), "supports_grammar", False):  # the embedded llama.cpp model
        grammar = f'root ::= "{yes}" | "{no}"'
        return model.bind(grammar=grammar, max_tokens=1, top_logprobs=_TOP_LOGPROBS)
    return judge_model(model)


def judged_document(doc: Document, reply: str, *, key: str, score: float) -> Document:
    """``doc`` with its judgement recorded under ``metadata[key]``.

    The provenance has the compressor's usual fields (every sentence kept) plus
    ``judgement`` (the reply as given) and ``score`` (:func:`judge_score`).
    """
    sentences = split_sentences(doc.page_content) if doc.page_content.strip() else []
    provenance: dict[str, Any] = {
        "kept_ids": [s.id for s in sentences],
        "kept_spans": [[s.start, s.end] for s in sentences],
        "sentences": len(sentences),
        "fallback": False,
        "fallback_reason": None,
        "judgement": reply.strip(),
        "score": round(score, 4),
    }
    metadata = {**doc.metadata, key: provenance}
    return Document(doc.page_content, metadata=metadata, id=doc.id)


def texts_to_judge(documents: Sequence[Document]) -> list[int]:
    """Indices of the documents that have text (the others are never sent)."""
    return [i for i, d in enumerate(documents) if d.page_content.strip()]


def assemble_judged(
    docs: Sequence[Document],
    replies: dict[int, BaseMessage],
    *,
    options: tuple[float, float, int],
    key: str,
    fallback: Callable[[Document, str], Document],
) -> list[Document]:
    """The documents a set of judgements keeps, in their order.

    Args:
        docs: Every document given to the compressor.
        replies: The judgement of each document that was sent, by index.
        options: ``(threshold, relative, keep_best)`` (see :func:`kept_by_score`).
        key: Metadata key of the provenance.
        fallback: Makes the flagged original of a document whose reply is unusable
            (given the document and the reply); it may raise instead.

    Returns:
        Kept documents (possibly none; the caller decides what nothing means).
    """
    threshold, relative, keep_best = options
    scores = {i: judge_score(reply) for i, reply in replies.items()}
    chosen = kept_by_score(scores, threshold=threshold, relative=relative, keep_best=keep_best)
    kept: list[Document] = []
    for index in sorted(replies):
        raw, score = replies[index].text, scores[index]
        if score is None:
            kept.append(fallback(docs[index], raw))
        elif index in chosen:
            kept.append(judged_document(docs[index], raw, key=key, score=score))
    return kept
