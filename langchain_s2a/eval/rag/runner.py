"""Run the RAG conditions: compress the retrieved documents, then answer with one prompt.

Every condition answers with the benchmark's own prompt (:meth:`RagItem.answer_messages`)
on the same model; they differ only in the context: none (``closed_book``), all
documents (``baseline``), the gold ones (``oracle``), or what a compressor returned.
Compressing is timed and its model calls and tokens are counted by a callback; each
finished (condition, item) record is appended to ``<cache_dir>/rag-records.jsonl`` at
once, so an interrupted run resumes where it stopped and a finished one is re-read
without loading a model. Answer requests go through a request cache
(``rag-requests-answer.jsonl``): a compressor that kept every document is answered
from the baseline's reply, as the model would answer it.

Example:
    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> from langchain_s2a.eval.rag.data import RagDoc, RagItem
    >>> item = RagItem("nq-docs", "q@k=2", "q", "k=2", "Who?", (RagDoc("Ann did.", gold=True),
    ...     RagDoc("Bob ran.")), ("Ann",), "en")
    >>> fake = GenericFakeChatModel(messages=iter(["Ann"]))
    >>> [r["correct"] for r in run_rag(fake, [item], ["baseline"], cache_dir=None)]
    [True]
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import Runnable

from langchain_s2a._internal.reading.documents import judge_score
from langchain_s2a.eval.cache import RequestCache, _append, _rows
from langchain_s2a.eval.rag.conditions import (
    FULL_CONDITIONS,
    LANGCHAIN_CONDITIONS,
    RAG_CONDITIONS,
    chain_context,
    condition_key,
    make_compressor,
)
from langchain_s2a.eval.rag.data import RagDoc, RagItem, nq_normalize, rgb_correct, score

__all__ = ["RAG_EVAL_VERSION", "RecordCache", "UsageCounter", "run_rag"]

RAG_EVAL_VERSION = "rag-1"
"""Changes when a record's meaning changes (part of every cache key)."""
ANSWER_MAX_TOKENS = {"rgb": 96, "nq-docs": 64}
"""Answer length cap per task (the answers are a phrase; both matchers read substrings)."""

Model = Runnable[LanguageModelInput, BaseMessage]


class UsageCounter(BaseCallbackHandler):
    """Counts chat-model calls and sums their token usage (read, reused, written)."""

    def __init__(self) -> None:
        self.calls = 0
        self.input_tokens = 0
        self.cache_read = 0
        self.output_tokens = 0
        self.scores: list[float | None] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        """Count one call per prompt."""
        self.calls += len(messages)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Add the usage each generation reports."""
        for gens in response.generations:
            for gen in gens:
                usage = getattr(getattr(gen, "message", None), "usage_metadata", None) or {}
                self.input_tokens += int(usage.get("input_tokens", 0))
                self.output_tokens += int(usage.get("output_tokens", 0))
                details = usage.get("input_token_details") or {}
                self.cache_read += int(details.get("cache_read", 0) or 0)
                message = getattr(gen, "message", None)
                if message is not None and "logprobs" in message.response_metadata:
                    self.scores.append(judge_score(message))  # the judge's, in call order


class RecordCache:
    """Append-only JSONL of finished records, keyed (in memory only when ``path`` is None)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, dict[str, Any]] = {}
        for row in _rows(path):
            if isinstance(row.get("key"), str) and isinstance(row.get("record"), dict):
                self.data[row["key"]] = row["record"]

    def get(self, key: str) -> dict[str, Any] | None:
        """The record stored under ``key``, if any."""
        return self.data.get(key)

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store a record and append it to the file."""
        self.data[key] = record
        if self.path is not None:
            _append(self.path, {"key": key, "record": record})


def _item_hash(item: RagItem) -> str:
    docs = [[d.title, d.text, d.gold] for d in item.documents]
    payload = json.dumps([item.question, docs, list(item.answers)], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _messages(dicts: list[dict[str, str]]) -> list[BaseMessage]:
    return [
        SystemMessage(d["content"]) if d["role"] == "system" else HumanMessage(d["content"])
        for d in dicts
    ]


def _with(model: Model, **update: Any) -> Model:
    """A copy of ``model`` with the fields it has among ``update`` (else ``model``)."""
    fields = getattr(type(model), "model_fields", {})
    known = {k: v for k, v in update.items() if k in fields}
    if known and hasattr(model, "model_copy"):
        copy: Model = model.model_copy(update=known)
        return copy
    return model


def answer_kept(item: RagItem, text: str) -> bool:
    """Whether ``text`` (a compressed context) still holds the answer string."""
    if item.task == "rgb":
        return rgb_correct(text, item.answers)
    normalized = nq_normalize(text)
    return any(nq_normalize(a) and nq_normalize(a) in normalized for a in item.answers)


def _as_documents(item: RagItem) -> list[Document]:
    return [
        Document(d.text, metadata={"rag_index": i, "title": d.title, "gold": d.gold})
        for i, d in enumerate(item.documents)
    ]


def _compress(
    condition: str, item: RagItem, model: Model, counter: UsageCounter
) -> tuple[list[RagDoc] | None, list[int], dict[str, Any]]:
    """The context a condition answers from: documents (or ``None``), sources, extra info."""
    if condition == "closed_book":
        return None, [], {}
    if condition == "baseline":
        return list(item.documents), list(range(len(item.documents))), {}
    if condition == "oracle":
        return [item.documents[i] for i in item.gold_indices], item.gold_indices, {}
    if condition == "s2a_chain":
        text, info = chain_context(item, model, callbacks=[counter])
        return [RagDoc(text, gold=bool(info["gold_kept_chain"]))], [], info
    compressor: BaseDocumentCompressor = make_compressor(condition, model, item.language)
    out = compressor.compress_documents(_as_documents(item), item.question, callbacks=[counter])
    docs = [
        RagDoc(d.page_content, title=d.metadata.get("title", ""), gold=bool(d.metadata.get("gold")))
        for d in out
    ]
    flags = [d.metadata.get("s2a", {}).get("fallback_reason") for d in out]
    extra: dict[str, Any] = {"flags": sorted({f for f in flags if f})}
    return docs, [int(d.metadata.get("rag_index", -1)) for d in out], extra


def _run_one(condition: str, item: RagItem, model: Model, answer_model: Model) -> dict[str, Any]:
    counter = UsageCounter()
    record: dict[str, Any] = {
        "item_id": item.item_id,
        "group_id": item.group_id,
        "task": item.task,
        "setting": item.setting,
        "condition": condition,
        "question": item.question,
        "answers": list(item.answers),
        "n_docs": len(item.documents),
        "gold_indices": item.gold_indices,
        "input_chars": sum(len(d.text) for d in item.documents),
        "error": None,
    }
    started = time.perf_counter()
    try:
        docs, sources, extra = _compress(condition, item, model, counter)
    except Exception as exc:  # a compressor that raises fails its item, as in a pipeline
        record.update(error=f"{type(exc).__name__}: {exc}"[:500], correct=False, answer="")
        record.update(
            compress_s=round(time.perf_counter() - started, 3), compress_calls=counter.calls
        )
        return record
    compress_s = time.perf_counter() - started
    kept_text = "\n".join(d.text for d in docs or [])
    kept_chars = sum(len(d.text) for d in docs or [])
    record.update(
        extra,
        kept_sources=sources,
        kept_texts=[d.text for d in docs or []],
        kept_chars=kept_chars,
        gold_kept=any(d.gold for d in docs or []) or bool(set(sources) & set(item.gold_indices)),
        answer_kept=answer_kept(item, kept_text),
        compress_s=round(compress_s, 3) if condition not in _NO_COMPRESS else 0.0,
        compress_calls=counter.calls,
        compress_input_tokens=counter.input_tokens,
        compress_cache_read=counter.cache_read,
        compress_output_tokens=counter.output_tokens,
    )
    if counter.scores:
        record["judge_scores"] = [None if s is None else round(s, 4) for s in counter.scores]
    started = time.perf_counter()
    reply = answer_model.invoke(_messages(item.answer_messages(docs)))
    usage = getattr(reply, "usage_metadata", None) or {}
    record.update(
        answer=reply.text,
        correct=score(item, reply.text),
        answer_s=round(time.perf_counter() - started, 3),
        answer_input_tokens=int(usage.get("input_tokens", 0)),
        answer_output_tokens=int(usage.get("output_tokens", 0)),
    )
    return record


_NO_COMPRESS = frozenset({"closed_book", "baseline", "oracle"})


def run_rag(
    model: Model | Callable[[], Model],
    items: Sequence[RagItem],
    conditions: Sequence[str],
    *,
    cache_dir: Path | None,
    model_name: str = "model",
    comparison_limit: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run ``conditions`` on ``items`` (cached, resumable); returns one record per pair.

    Args:
        model: The chat model (the same for compressing and answering), or a
            callable returning it (called only when a record is not cached).
        items: The items, e.g. from :func:`~langchain_s2a.eval.rag.data.load_rag_items`.
        conditions: Names from :data:`~langchain_s2a.eval.rag.conditions.RAG_CONDITIONS`.
        cache_dir: Where records and answer requests are cached (``None``: memory only).
        model_name: The model's label in cache keys.
        comparison_limit: Run the conditions outside
            :data:`~langchain_s2a.eval.rag.conditions.FULL_CONDITIONS` (LangChain's
            compressors, the one-reply ``s2a``, ``s2a_chain``) only on the first this
            many questions of each setting (``None``: all).
        progress: Print one line per new record to stderr.

    Returns:
        The records in (item, condition) order; items a condition skips have none.
    """
    unknown = [c for c in conditions if c not in RAG_CONDITIONS]
    if unknown:
        raise ValueError(f"unknown condition(s) {unknown}; choose from {', '.join(RAG_CONDITIONS)}")
    records = RecordCache(cache_dir / "rag-records.jsonl" if cache_dir else None)
    loaded: dict[str, Model] = {}

    def models() -> tuple[Model, Model]:
        if "model" not in loaded:
            base = model() if callable(model) and not isinstance(model, Runnable) else model
            loaded["model"] = base
        return loaded["model"], loaded["model"]

    rank: dict[str, int] = {}
    seen: dict[str, int] = {}
    for item in items:
        if item.item_id not in rank:
            rank[item.item_id] = seen.get(item.setting, 0)
            seen[item.setting] = rank[item.item_id] + 1
    out: list[dict[str, Any]] = []
    for item in items:
        for condition in conditions:
            limited = condition not in FULL_CONDITIONS and comparison_limit is not None
            if limited and rank[item.item_id] >= (comparison_limit or 0):
                continue
            key = hashlib.sha256(
                json.dumps(
                    [
                        RAG_EVAL_VERSION,
                        model_name,
                        condition_key(condition),
                        item.item_id,
                        _item_hash(item),
                    ]
                ).encode()
            ).hexdigest()
            record = records.get(key)
            if record is not None:  # another condition name may share the settings
                record = {**record, "condition": condition}
            else:
                base, _ = models()
                answer = _answer_model(base, item, cache_dir)
                record = _run_one(condition, item, base, answer)
                if record["error"] is None or condition in LANGCHAIN_CONDITIONS:
                    records.put(key, record)
                if progress:
                    print(
                        f"[rag] {item.item_id} {condition}: correct={record.get('correct')} "
                        f"gold_kept={record.get('gold_kept')} compress={record.get('compress_s')}s "
                        f"answer={record.get('answer_s')}s err={record['error']}",
                        file=sys.stderr,
                        flush=True,
                    )
            out.append(record)
    return out


_ANSWER_CACHES: dict[Path, RequestCache] = {}


def _answer_model(base: Model, item: RagItem, cache_dir: Path | None) -> Model:
    if cache_dir is None:
        return _with(base, max_tokens=ANSWER_MAX_TOKENS[item.task])
    path = cache_dir / "rag-requests-answer.jsonl"
    if path not in _ANSWER_CACHES:
        _ANSWER_CACHES[path] = RequestCache(path, stage="answer")
    return _with(base, max_tokens=ANSWER_MAX_TOKENS[item.task], cache=_ANSWER_CACHES[path])
