"""The RAG conditions: which context cleaner runs before the shared answer prompt.

Example:
    >>> RAG_CONDITIONS["lc_filter"]
    "LangChain's LLMChainFilter (one YES/NO call per document)"
    >>> condition_key("baseline")
    'baseline'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor
from langchain_core.language_models import BaseLanguageModel, LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from langchain_s2a._internal.text.sentences import split_sentences
from langchain_s2a.eval.rag.data import RagItem

__all__ = [
    "DEFAULT_RAG_CONDITIONS",
    "FULL_CONDITIONS",
    "LANGCHAIN_CONDITIONS",
    "RAG_CONDITIONS",
    "RERANK_TOP_N",
    "TITLE_PROMPT",
    "chain_context",
    "condition_key",
    "make_compressor",
]

RAG_CONDITIONS: dict[str, str] = {
    "closed_book": "no documents",
    "baseline": "all retrieved documents",
    "oracle": "the gold documents only",
    "s2a": "S2ADocumentCompressor, default options",
    "s2a_select": "S2ADocumentCompressor(mode='select'): one reply picking sentence numbers",
    "s2a_judge": "S2ADocumentCompressor(mode='judge'): one yes/no call per document",
    "s2a_judge_title": "the judge shown each document's title too (document_prompt; NQ)",
    "s2a_chain": "the S2A rewrite (relevance preset) over the joined documents",
    "lc_extractor": "LangChain's LLMChainExtractor (one extraction call per document)",
    "lc_filter": "LangChain's LLMChainFilter (one YES/NO call per document)",
    "lc_rerank": "LangChain's LLMListwiseRerank(top_n=3) (one structured call)",
}
"""Every condition, with what it answers from."""
LANGCHAIN_CONDITIONS = frozenset({"lc_extractor", "lc_filter", "lc_rerank"})
"""The LangChain compressors."""
FULL_CONDITIONS = frozenset({"closed_book", "baseline", "oracle", "s2a_judge"})
"""The conditions that always run on every question; the others may run on a subset."""
DEFAULT_RAG_CONDITIONS = (
    "closed_book",
    "baseline",
    "oracle",
    "s2a",
    "s2a_judge",
    *sorted(LANGCHAIN_CONDITIONS),
)
"""What ``s2a eval --task rgb|nq-docs`` runs by default."""
RERANK_TOP_N = 3
"""``top_n`` of ``LLMListwiseRerank`` (its default)."""
TITLE_PROMPT = "Title: {title}\n{page_content}"
"""The ``document_prompt`` of ``s2a_judge_title``: the title above the text."""

Model = Runnable[LanguageModelInput, BaseMessage]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "missing"


def condition_key(condition: str) -> str:
    """What identifies a condition's behaviour in the cache (its options and prompt versions)."""
    from langchain_s2a._internal.rules.ladder import REWRITE_RULES_VERSION
    from langchain_s2a.prompts import PROMPT_VERSION
    from langchain_s2a.rag import COMPRESSOR_VERSION, S2ADocumentCompressor

    if condition in ("closed_book", "baseline", "oracle"):
        return condition
    if condition == "s2a_judge_title":
        return f"{condition_key('s2a_judge')}:document_prompt={TITLE_PROMPT!r}"
    if condition in ("s2a", "s2a_select", "s2a_judge"):
        fields = S2ADocumentCompressor.model_fields
        options = {
            name: fields[name].default
            for name in (
                "mode",
                "preset",
                "budget",
                "judge_threshold",
                "judge_relative",
                "judge_keep_best",
            )
        }
        if condition != "s2a":
            options["mode"] = condition.removeprefix("s2a_")
        settings = ",".join(f"{k}={v}" for k, v in options.items())
        return f"s2a:{settings}:{COMPRESSOR_VERSION}:{PROMPT_VERSION}"
    if condition == "s2a_chain":
        return f"s2a_chain:{PROMPT_VERSION}:{REWRITE_RULES_VERSION}"
    return f"{condition}:langchain-classic=={_version('langchain-classic')}"


def make_compressor(condition: str, model: Model, language: str) -> BaseDocumentCompressor:
    """The document compressor of ``condition`` on ``model``.

    Raises:
        ImportError: For a LangChain compressor without ``langchain-classic``.
        ValueError: For a condition that is not a compressor.
    """
    from langchain_s2a.rag import S2ADocumentCompressor

    if condition == "s2a":
        return S2ADocumentCompressor(model)
    if condition == "s2a_select":
        return S2ADocumentCompressor(model, mode="select")
    if condition == "s2a_judge":
        return S2ADocumentCompressor(model, mode="judge")
    if condition == "s2a_judge_title":
        from langchain_core.prompts import PromptTemplate

        prompt = PromptTemplate.from_template(TITLE_PROMPT)
        return S2ADocumentCompressor(model, mode="judge", document_prompt=prompt)
    if condition not in LANGCHAIN_CONDITIONS:
        raise ValueError(f"{condition!r} is not a compressor condition")
    try:
        from langchain_classic.retrievers.document_compressors import (
            LLMChainExtractor,
            LLMChainFilter,
            LLMListwiseRerank,
        )
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the LangChain compressors need langchain-classic: pip install langchain-classic"
        ) from exc
    llm: BaseLanguageModel[Any] = model  # type: ignore[assignment]  # a chat model
    if condition == "lc_extractor":
        return LLMChainExtractor.from_llm(llm)
    if condition == "lc_filter":
        return LLMChainFilter.from_llm(llm)
    return LLMListwiseRerank.from_llm(structured(llm), top_n=RERANK_TOP_N)


def structured(llm: BaseLanguageModel[Any]) -> BaseLanguageModel[Any]:
    """The embedded model as :class:`StructuredChatLocalLlama` (same weights); others as is."""
    from langchain_s2a.models.llama import ChatLocalLlama
    from langchain_s2a.models.llama_structured import StructuredChatLocalLlama

    if isinstance(llm, ChatLocalLlama) and not isinstance(llm, StructuredChatLocalLlama):
        fields = {name: getattr(llm, name) for name in type(llm).model_fields}
        return StructuredChatLocalLlama(**fields)
    return llm


def chain_input(item: RagItem) -> str:
    """The joined documents and the question, as the S2A chain reads them."""
    if item.task == "rgb":
        return "\n".join(d.text for d in item.documents) + f"\n\n问题：{item.question}"
    docs = "\n".join(
        f"Document [{i}](Title: {d.title}) {d.text}" for i, d in enumerate(item.documents, 1)
    )
    return f"{docs}\n\nQuestion: {item.question}"


def chain_context(
    item: RagItem, model: Model, *, callbacks: Callbacks = None
) -> tuple[str, dict[str, Any]]:
    """The S2A rewrite's context (relevance preset) over the joined documents.

    Returns:
        The context (the original documents when the rewrite fell back) and
        ``{"fallback_reason", "gold_kept"}``; a gold document counts as kept when
        one of its sentences is in the context verbatim.
    """
    from langchain_s2a.rewriter import S2ARewriter

    rewriter = S2ARewriter(model, preset="relevance")
    rewrite = rewriter.invoke(chain_input(item), {"callbacks": callbacks})
    documents = chain_input(item).rsplit("\n\n", 1)[0]
    context = documents if rewrite.fallback or not rewrite.context.strip() else rewrite.context
    gold = [item.documents[i].text for i in item.gold_indices]
    kept = any(
        len(s.text.strip()) >= 8 and s.text.strip() in context
        for text in gold
        for s in split_sentences(text)
    )
    return context, {"fallback_reason": rewrite.fallback_reason, "gold_kept_chain": kept}
