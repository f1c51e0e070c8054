"""S2A for retrieval: keep only the retrieved sentences that help answer the query.

:class:`S2ADocumentCompressor` applies S2A's relevance rewrite to retrieved
documents in the extractive (pointer) form: the documents are split into numbered
sentences, the model replies with the numbers to keep (``Keep: 2, 5``), and each
document is rebuilt **verbatim** from its kept sentences. Documents that fit the
budget share one model call; larger sets are split into batches that run with
bounded concurrency. Metadata is kept, provenance is added under
``metadata["s2a"]``, and documents with nothing relevant are dropped.

With ``mode="judge"`` it asks about each document on its own instead: the
instructions and the query are a shared prompt prefix (read once by a model that
reuses prefixes, such as the embedded one), each call reads one document and
replies ``yes`` or ``no``, and documents are kept or dropped whole, by the
model's P(yes) where it reports log-probabilities (see ``judge_threshold``).

Example:
    >>> from langchain_core.documents import Document
    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> fake = GenericFakeChatModel(messages=iter(["Keep: 1"]))
    >>> docs = [Document("Canberra is the capital. Sydney has a harbour.", metadata={"src": "a"})]
    >>> out = S2ADocumentCompressor(fake).compress_documents(docs, "What is the capital?")
    >>> out[0].page_content, out[0].metadata["src"], out[0].metadata["s2a"]["kept_ids"]
    ('Canberra is the capital.', 'a', [1])
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompts import BasePromptTemplate, format_document
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import get_executor_for_config, patch_config
from pydantic import ConfigDict

from langchain_s2a._internal.io.calls import CallPolicy, acall_model, call_model, message_of
from langchain_s2a._internal.reading.documents import (
    assemble_judged,
    judge_messages,
    judge_runnable,
    texts_to_judge,
)
from langchain_s2a._internal.reading.selection import (
    Selection,
    assemble,
    number_sentences,
    parse_selection,
)
from langchain_s2a._internal.rules.ladder import is_truncated, selection_problem
from langchain_s2a._internal.text.language import detect_language
from langchain_s2a._internal.text.sentences import Sentence, split_sentences
from langchain_s2a.errors import S2AInputError, S2ARewriteError
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.options import Language, LanguageOption, OnFailure, Preset
from langchain_s2a.prompts import get_prompts, selection_prompt
from langchain_s2a.prompts._rag import JUDGE_PROMPT_VERSION
from langchain_s2a.result import METADATA_KEY

__all__ = ["COMPRESSOR_VERSION", "S2ADocumentCompressor", "create_s2a_document_cleaner"]

COMPRESSOR_VERSION = f"select-1+{JUDGE_PROMPT_VERSION}"
"""Changes whenever what the compressor sends or keeps changes (evaluation caches use it)."""

_SELECT_RUN_NAME = "s2a_select"
_JUDGE_RUN_NAME = "s2a_judge_document"


@dataclass(frozen=True)
class _Batch:
    """Documents that share one model call; sentence numbers are global to the batch."""

    indices: list[int]
    sentences: list[list[Sentence]]

    @property
    def has_text(self) -> bool:
        """Whether any of its documents has a sentence (else no call is needed)."""
        return any(self.sentences)


def _checked(documents: Sequence[Document], query: str) -> list[Document]:
    if not isinstance(query, str):
        got = "None" if query is None else type(query).__name__
        raise TypeError(f"the query given to S2ADocumentCompressor must be a str; got {got}")
    if not query.strip():
        raise S2AInputError("the query given to S2ADocumentCompressor is empty")
    return list(documents)


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class S2ADocumentCompressor(BaseDocumentCompressor):
    """Keep only the sentences of retrieved documents that help answer the query.

    Works as ``base_compressor`` of ``ContextualCompressionRetriever`` (package
    ``langchain-classic``) and, through :func:`create_s2a_document_cleaner`, as a
    step of an LCEL chain. Each returned document keeps its metadata and ``id`` and
    gets ``metadata["s2a"]``: ``kept_ids`` (1-based sentence numbers within the
    document), ``kept_spans`` (character spans in the original text),
    ``sentences`` (how many it had) and ``fallback`` / ``fallback_reason``.

    Nothing is lost silently: an unusable reply (empty, no ``Keep:`` line,
    truncated, or a number no shown sentence has: ``"out_of_range"``) returns
    that batch's documents unchanged with ``fallback=True``, or raises
    :class:`~langchain_s2a.S2ARewriteError` with ``on_failure="raise"``.
    When every document is judged irrelevant, the originals come back flagged
    ``fallback_reason="nothing_relevant"`` unless ``on_empty="empty"``.
    A batch of documents without text is not sent: a set of only empty
    documents costs no model call and counts as nothing relevant.

    Args:
        model: The chat model that selects sentences (a model, a name, or
            ``None`` for the embedded local model).
        preset: ``"relevance"`` drops irrelevant sentences; ``"opinion"`` also
            drops sentences that only state an opinion about the answer.
        language: Prompt language, ``"auto"`` (by the query's script), ``"en"``
            or ``"zh"``.
        budget: How much numbered document text one call may hold, in
            ``budget_unit``; a set over it is split into batches (a single larger
            document gets a call of its own, never truncated).
        budget_unit: ``"chars"`` or ``"tokens"`` (counted by ``token_counter``).
        token_counter: Counts tokens for ``budget_unit="tokens"``; default is
            about four characters per token.
        max_concurrency: Batches in flight at once; a ``max_concurrency`` in the
            run's config takes precedence.
        on_failure: ``"original"`` (fall back, default) or ``"raise"``.
        on_empty: ``"original"`` returns the originals, flagged, when every
            document is dropped; ``"empty"`` returns ``[]``.
        mode: ``"select"`` (default: sentence numbers in one reply per batch) or
            ``"judge"`` (one one-word judgement per document, documents kept whole;
            ``metadata["s2a"]["score"]`` holds each kept document's score).
        judge_threshold: ``judge``: keep documents whose score, P(yes) among
            yes/no (1 or 0 from the reply of a model without log-probabilities),
            is at least this.
        judge_relative: ``judge``: also keep those scoring at least this share of
            the best score.
        judge_keep_best: ``judge``: also keep this many best-scored documents
            (with a score above 0); the defaults were chosen on the RGB / NQ tune
            splits (``benchmarks/rag_judge_rules.py``).
        document_prompt: ``judge``: how each document is shown to the judge, a
            prompt over ``page_content`` and the document's metadata (LangChain's
            ``format_document``), e.g. ``PromptTemplate.from_template("Title:
            {title}\\n{page_content}")``; ``None`` (default) shows the text alone.
            Documents come back as they came; one missing a metadata key the
            prompt names raises :class:`~langchain_s2a.S2AInputError` before any call.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> fake = GenericFakeChatModel(messages=iter(["Keep: none"]))
        >>> docs = [Document("Sydney has a harbour.")]
        >>> out = S2ADocumentCompressor(fake).compress_documents(docs, "What is the capital?")
        >>> out[0].page_content, out[0].metadata["s2a"]["fallback_reason"]
        ('Sydney has a harbour.', 'nothing_relevant')
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Runnable[LanguageModelInput, BaseMessage]
    """The model that selects the sentences."""
    preset: Preset = "relevance"
    """What to drop besides irrelevant sentences."""
    language: LanguageOption = "auto"
    """Prompt language, or ``auto``."""
    budget: int = 6000
    """Numbered document text per call, in ``budget_unit``."""
    budget_unit: Literal["chars", "tokens"] = "chars"
    """Unit of ``budget``."""
    token_counter: Callable[[str], int] | None = None
    """Token counter for ``budget_unit="tokens"`` (default: ~4 characters per token)."""
    max_concurrency: int = 4
    """Batches in flight at once (unless the run's config says otherwise)."""
    on_failure: OnFailure = "original"
    """Fall back to the original documents, or raise."""
    on_empty: Literal["original", "empty"] = "original"
    """What to return when every document is dropped."""
    timeout: float | None = None
    """Seconds one model call may take."""
    max_attempts: int = 3
    """Attempts per call for transient errors."""
    mode: Literal["select", "judge"] = "select"
    """``"select"``: one reply per batch picking sentence numbers; ``"judge"``: one
    yes/no call per document over a shared question prefix, documents kept whole
    (see ``judge_threshold``, ``judge_relative``, ``judge_keep_best``)."""
    judge_threshold: float = 0.5
    """``judge`` mode: keep documents whose score (P(yes) among yes/no) is at least this."""
    judge_relative: float = 0.5
    """``judge`` mode: also keep documents scoring at least this share of the best score."""
    judge_keep_best: int = 2
    """``judge`` mode: the this-many best-scored documents are kept whatever their score."""
    document_prompt: BasePromptTemplate[str] | None = None
    """``judge`` mode: how a document is shown to the judge (``None``: its text alone)."""

    def __init__(self, model: ModelLike = None, /, **kwargs: Any) -> None:
        if "model" in kwargs:
            model = kwargs.pop("model")
        kwargs["model"] = resolve_chat_model(model)
        super().__init__(**kwargs)
        if self.budget < 1 or self.max_concurrency < 1:
            raise ValueError("budget and max_concurrency must be >= 1")
        if self.document_prompt is not None and self.mode != "judge":
            raise ValueError("document_prompt is read by mode='judge' only")

    # ------------------------------------------------------------------ planning
    def _size(self, text: str) -> int:
        if self.budget_unit == "chars":
            return len(text)
        return (self.token_counter or _approx_tokens)(text)

    def _plan(self, documents: list[Document]) -> list[_Batch]:
        batches: list[_Batch] = []
        indices: list[int] = []
        sentences: list[list[Sentence]] = []
        used = offset = 0
        for index, doc in enumerate(documents):
            local = split_sentences(doc.page_content) if doc.page_content.strip() else []
            size = self._size(number_sentences(local))
            if indices and used + size > self.budget:
                batches.append(_Batch(indices, sentences))
                indices, sentences, used, offset = [], [], 0, 0
            indices.append(index)
            sentences.append([dataclasses.replace(s, id=s.id + offset) for s in local])
            used += size
            offset += len(local)
        if indices:
            batches.append(_Batch(indices, sentences))
        return batches

    def _language(self, query: str) -> Language:
        return detect_language(query) if self.language == "auto" else self.language

    def build_messages(
        self, batch_sentences: list[list[Sentence]], query: str
    ) -> list[BaseMessage]:
        """The selection prompt for documents (already numbered) and a query."""
        lang = self._language(query)
        documents = [number_sentences(sents) for sents in batch_sentences]
        prompt = selection_prompt(query, documents, preset=self.preset, language=lang)
        return [SystemMessage(get_prompts("relevance", lang).system), HumanMessage(prompt)]

    # ------------------------------------------------------------------ calls
    def _call_args(self, batch: _Batch, query: str, config: RunnableConfig) -> Any:
        policy = CallPolicy(timeout=self.timeout, max_attempts=self.max_attempts)
        cfg = patch_config(config, run_name=_SELECT_RUN_NAME)
        return self.model, self.build_messages(batch.sentences, query), cfg, policy

    def _select(self, batch: _Batch, query: str, config: RunnableConfig) -> BaseMessage:
        return message_of(call_model(*self._call_args(batch, query, config)))

    def _concurrency(self, config: RunnableConfig) -> int:
        return int(config.get("max_concurrency") or self.max_concurrency)

    # ------------------------------------------------------------------ results
    def _fallback(self, doc: Document, reason: str, raw: str, query: str) -> Document:
        if self.on_failure == "raise" and reason != "nothing_relevant":
            raise S2ARewriteError(reason, raw=raw, original=query)
        meta = {"kept_ids": None, "kept_spans": None, "fallback": True, "fallback_reason": reason}
        return Document(doc.page_content, metadata={**doc.metadata, METADATA_KEY: meta}, id=doc.id)

    def _apply(
        self, docs: list[Document], batch: _Batch, reply: BaseMessage, query: str
    ) -> dict[int, Document | None]:
        raw = reply.text
        try:
            selection = parse_selection(raw)
        except ValueError:  # e.g. a number too long for int(): unusable, not fatal
            selection = Selection(keep=None, question_id=None, question_text="")
        n_sentences = sum(len(s) for s in batch.sentences)
        reason = selection_problem(raw, selection.keep, n_sentences, truncated=is_truncated(reply))
        if reason is not None:
            return {i: self._fallback(docs[i], reason, raw, query) for i in batch.indices}
        chosen = set(selection.keep or [])
        out: dict[int, Document | None] = {}
        for index, sentences in zip(batch.indices, batch.sentences, strict=True):
            offset = sentences[0].id - 1 if sentences else 0
            local = [dataclasses.replace(s, id=s.id - offset) for s in sentences]
            keep = [s.id for s in local if s.id + offset in chosen]
            if not keep:
                out[index] = None
                continue
            doc = docs[index]
            text, _, kept, spans, _ = assemble(
                doc.page_content, local, Selection(keep=keep, question_id=None, question_text="")
            )
            provenance = {
                "kept_ids": kept,
                "kept_spans": spans,
                "sentences": len(local),
                "fallback": False,
                "fallback_reason": None,
            }
            metadata = {**doc.metadata, METADATA_KEY: provenance}
            out[index] = Document(text, metadata=metadata, id=doc.id)
        return out

    def _finish(
        self,
        docs: list[Document],
        batches: list[_Batch],
        replies: Sequence[BaseMessage],
        query: str,
    ) -> list[Document]:
        results: dict[int, Document | None] = {}
        for batch, reply in zip(batches, replies, strict=True):
            results.update(self._apply(docs, batch, reply, query))
        kept = [d for i in range(len(docs)) if (d := results.get(i)) is not None]
        if kept or self.on_empty == "empty":
            return kept
        return [self._fallback(d, "nothing_relevant", "", query) for d in docs]

    def _prepare(
        self, documents: Sequence[Document], query: str, config: RunnableConfig | None
    ) -> tuple[list[Document], list[_Batch], RunnableConfig]:
        """The checked documents, the batches to send (empty ones: nothing to keep), the config."""
        docs = _checked(documents, query)
        return docs, [b for b in self._plan(docs) if b.has_text], config or {}

    # ------------------------------------------------------------------ judge mode
    def _judge_work(
        self, docs: list[Document], query: str, config: RunnableConfig
    ) -> tuple[list[int], list[Any]]:
        """The documents to judge (those with text) and each one's call arguments."""
        lang = self._language(query)
        policy = CallPolicy(timeout=self.timeout, max_attempts=self.max_attempts)
        cfg = patch_config(config, run_name=_JUDGE_RUN_NAME)
        judge = judge_runnable(self.model, language=lang)
        indices = texts_to_judge(docs)
        work = [
            (judge, judge_messages(query, self._shown(docs[i], i), language=lang), cfg, policy)
            for i in indices
        ]
        return indices, work

    def _shown(self, doc: Document, index: int) -> str:
        """What the judge reads of ``doc``: its text, or ``document_prompt`` over it."""
        if self.document_prompt is None:
            return doc.page_content
        try:
            return format_document(doc, self.document_prompt)
        except (KeyError, ValueError) as exc:
            raise S2AInputError(f"document {index + 1}: {exc}") from None

    def _judged(
        self, docs: list[Document], indices: list[int], replies: Sequence[BaseMessage], query: str
    ) -> list[Document]:
        kept = assemble_judged(
            docs,
            dict(zip(indices, replies, strict=True)),
            options=(self.judge_threshold, self.judge_relative, self.judge_keep_best),
            key=METADATA_KEY,
            fallback=lambda doc, raw: self._fallback(doc, "unparsed_judgement", raw, query),
        )
        if kept or self.on_empty == "empty":
            return kept
        return [self._fallback(d, "nothing_relevant", "", query) for d in docs]

    # ------------------------------------------------------------------ public
    def _map(self, call: Callable[[Any], BaseMessage], work: list[Any], cfg: RunnableConfig) -> Any:
        if self._concurrency(cfg) <= 1 or len(work) <= 1:
            return [call(w) for w in work]
        pool_config = patch_config(cfg, max_concurrency=self._concurrency(cfg))
        with get_executor_for_config(pool_config) as pool:
            return list(pool.map(call, work))

    async def _amap(self, call: Any, work: list[Any], cfg: RunnableConfig) -> list[BaseMessage]:
        gate = asyncio.Semaphore(self._concurrency(cfg))

        async def one(w: Any) -> BaseMessage:
            async with gate:
                return message_of(await acall_model(*call(w)))

        return list(await asyncio.gather(*(one(w) for w in work)))

    def compress(
        self, documents: Sequence[Document], query: str, config: RunnableConfig | None = None
    ) -> list[Document]:
        """Compress ``documents`` for ``query`` under a full ``RunnableConfig``."""
        if self.mode == "judge":
            docs, cfg = _checked(documents, query), config or {}
            indices, work = self._judge_work(docs, query, cfg)
            replies = self._map(lambda a: message_of(call_model(*a)), work, cfg)
            return self._judged(docs, indices, replies, query)
        docs, batches, cfg = self._prepare(documents, query, config)
        replies = self._map(lambda b: self._select(b, query, cfg), batches, cfg)
        return self._finish(docs, batches, replies, query)

    async def acompress(
        self, documents: Sequence[Document], query: str, config: RunnableConfig | None = None
    ) -> list[Document]:
        """Async twin of :meth:`compress` (real async calls, bounded concurrency)."""
        if self.mode == "judge":
            docs, cfg = _checked(documents, query), config or {}
            indices, work = self._judge_work(docs, query, cfg)
            replies = await self._amap(lambda a: a, work, cfg)
            return self._judged(docs, indices, replies, query)
        docs, batches, cfg = self._prepare(documents, query, config)
        replies = await self._amap(lambda b: self._call_args(b, query, cfg), batches, cfg)
        return self._finish(docs, batches, replies, query)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Compress retrieved documents for ``query`` (``BaseDocumentCompressor`` API)."""
        return self.compress(documents, query, {"callbacks": callbacks})

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async twin of :meth:`compress_documents`."""
        return await self.acompress(documents, query, {"callbacks": callbacks})


def _split_input(value: Any, question_key: str, documents_key: str) -> tuple[str, list[Document]]:
    expected = f"the S2A document cleaner takes a dict with {question_key!r} and {documents_key!r}"
    if not isinstance(value, Mapping):
        raise TypeError(f"{expected}; got {type(value).__name__}")
    if missing := [k for k in (question_key, documents_key) if k not in value]:
        keys = ", ".join(repr(k) for k in list(value)[:5]) or "none"
        raise TypeError(
            f"{expected}; the dict has no {' or '.join(map(repr, missing))} (keys: {keys})"
        )
    question, documents = value[question_key], value[documents_key]
    if not isinstance(question, str):
        raise TypeError(f"{question_key!r} must be a str, got {type(question).__name__}")
    listed = f"{documents_key!r} must be a list of Document objects"
    if isinstance(documents, str | Document) or not isinstance(documents, Sequence):
        raise TypeError(f"{listed}, got {type(documents).__name__}")
    if wrong := [type(d).__name__ for d in documents if not isinstance(d, Document)]:
        raise TypeError(f"{listed}; it holds a {wrong[0]}")
    return question, list(documents)


def create_s2a_document_cleaner(
    model: ModelLike | S2ADocumentCompressor = None,
    *,
    question_key: str = "question",
    documents_key: str = "documents",
    **options: Any,
) -> Runnable[dict[str, Any], list[Document]]:
    """The compressor as an LCEL step: ``{"question", "documents"}`` → cleaned documents.

    Unlike ``ContextualCompressionRetriever``, the run's whole ``RunnableConfig``
    (callbacks, tags, metadata, ``max_concurrency``) reaches the model calls.

    Args:
        model: A chat model (or name, or ``None`` for the local model), or a ready
            :class:`S2ADocumentCompressor`.
        question_key: Input key of the question.
        documents_key: Input key of the retrieved documents.
        **options: :class:`S2ADocumentCompressor` options (when ``model`` is not one).

    Returns:
        A Runnable named ``s2a_clean_documents``.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_core.runnables import RunnableLambda, RunnablePassthrough
        >>> retriever = RunnableLambda(lambda q: [Document("Paris is in France. I like cats.")])
        >>> cleaner = create_s2a_document_cleaner(GenericFakeChatModel(messages=iter(["Keep: 1"])))
        >>> rag = {"documents": retriever, "question": RunnablePassthrough()} | cleaner
        >>> [d.page_content for d in rag.invoke("Where is Paris?")]
        ['Paris is in France.']
    """
    compressor = (
        model
        if isinstance(model, S2ADocumentCompressor)
        else S2ADocumentCompressor(model, **options)
    )

    def clean(value: dict[str, Any], config: RunnableConfig) -> list[Document]:
        question, documents = _split_input(value, question_key, documents_key)
        return compressor.compress(documents, question, config)

    async def aclean(value: dict[str, Any], config: RunnableConfig) -> list[Document]:
        question, documents = _split_input(value, question_key, documents_key)
        return await compressor.acompress(documents, question, config)

    return RunnableLambda(clean, afunc=aclean, name="s2a_clean_documents")
