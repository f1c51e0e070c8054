"""Run evaluation conditions through the public S2A chain, with a resumable cache.

Every (condition, item) pair is one ``create_s2a_chain(...).ainvoke(prompt)``
call; runs are bounded by ``max_concurrency`` and shown with tqdm progress bars.
Finished generations are appended to ``<cache_dir>/generations.jsonl`` as they
complete, keyed by (model, rewriter, condition settings, prompt version, input
text), so an interrupted run continues where it stopped and a re-run makes no
model calls. Identical requests are generated once (the oracle prompt shared
by many GSM-IC variants; ``baseline`` on a plain trivia prompt *is* the oracle),
and so are identical *model* requests (see :mod:`langchain_s2a.eval.cache`):
S2A-KeepOrig and S2A-NI answer from the very rewrite S2A made (as in the paper),
and after a parsing change only the answers whose input changed are generated
again. A stage served from that cache is marked (``rewrite_shared`` /
``answer_shared``) and carries no latency. Errors are recorded per item and not
cached, so a re-run retries them.

Example:
    >>> CONDITIONS["s2a_keeporig"].keep_original
    True
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.metadata
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from langchain_s2a._internal.rules.ladder import REWRITE_RULES_VERSION
from langchain_s2a.eval._conditions import (
    ANSWER_FORMATS,
    CONDITIONS,
    DEFAULT_CONDITIONS,
    GSM_ANSWER_FORMAT,
    PRESETS,
    Condition,
    resolve_conditions,
)
from langchain_s2a.eval.cache import GenerationCache, RequestCache, count_hits
from langchain_s2a.eval.datasets import EvalItem, Task
from langchain_s2a.eval.records import CLEAN_SUFFIX, Generation, ItemResult
from langchain_s2a.eval.scoring import score_gsm, score_trivia
from langchain_s2a.models import ModelLike, context_copy, model_label, resolve_chat_model
from langchain_s2a.prompts import PROMPT_VERSION

__all__ = [
    "CONDITIONS",
    "DEFAULT_CONDITIONS",
    "GSM_ANSWER_FORMAT",
    "Condition",
    "GenerationCache",
    "arun_eval",
    "engine_info",
    "model_key",
    "resolve_conditions",
    "run_eval",
]

# tqdm ships no type stubs; import it dynamically (typed Any) instead of ignoring types.
_tqdm: Any = importlib.import_module("tqdm.auto").tqdm


def model_key(model: ModelLike) -> str:
    """A stable cache label for a model, without loading it when given by name.

    Example:
        >>> model_key("openai:gpt-4o-mini")
        'openai:gpt-4o-mini'
    """
    if isinstance(model, Runnable):
        return model_label(model)
    name = (model if isinstance(model, str) else None) or os.environ.get("S2A_MODEL") or "local"
    name = name.strip()
    return "local:1.5b" if name == "local" else name


def _cache_key(parts: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(parts)).encode("utf-8")).hexdigest()


def _to_generation(result: Any) -> Generation:
    rewrite = result.rewrite
    usage = result.message.usage_metadata
    return Generation(
        answer=str(result.answer),
        rewrite_text=rewrite.text,
        rewrite_context=rewrite.context,
        rewrite_question=rewrite.question,
        rewrite_variant=rewrite.variant,
        rewrite_raw=rewrite.raw,
        fallback=rewrite.fallback,
        fallback_reason=rewrite.fallback_reason,
        rewrite_usage=dict(rewrite.usage) if rewrite.usage else None,
        answer_usage=dict(usage) if usage else None,
        rewrite_latency_s=rewrite.latency_s,
        answer_latency_s=result.answer_latency_s,
    )


def _rewrite_only(rewrite: Any) -> Generation:
    """The generation of an item with no answer to check: its rewrite alone."""
    return Generation(
        answer="",
        rewrite_text=rewrite.text,
        rewrite_context=rewrite.context,
        rewrite_question=rewrite.question,
        rewrite_variant=rewrite.variant,
        rewrite_raw=rewrite.raw,
        fallback=rewrite.fallback,
        fallback_reason=rewrite.fallback_reason,
        rewrite_usage=dict(rewrite.usage) if rewrite.usage else None,
        rewrite_latency_s=rewrite.latency_s,
    )


def _score(item: EvalItem, generation: Generation) -> tuple[bool, str | None]:
    if item.task in ("gsm-ic", "gsm-opinion"):
        return score_gsm(generation.answer, item.gold[0])
    if not item.gold:
        return False, None  # nothing to check (a rewrite-only item)
    return score_trivia(generation.answer, item.gold), None


def engine_info(model: Any) -> dict[str, Any] | None:
    """The engine behind a model, where its outputs depend on it: llama.cpp's build and threads.

    Greedy decoding on llama.cpp is not bit-stable across thread counts, so every
    cached generation records them, and two conditions are compared only when they
    ran on the same engine (see ``docs/results``).

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> engine_info(GenericFakeChatModel(messages=iter([]))) is None
        True
    """
    from langchain_s2a.models.llama import THREADS_ENV, ChatLocalLlama, available_cores

    if not isinstance(model, ChatLocalLlama):
        return None
    try:
        version = importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    env = os.environ.get(THREADS_ENV, "").strip()
    threads = model.n_threads or (int(env) if env.isdigit() else available_cores())
    return {"engine": "llama.cpp", "llama_cpp_python": version, "threads": threads}


class _Models:
    """Resolve models lazily, so a fully cached run never loads one.

    The answer model and the rewriter are copies of their models with a
    :class:`RequestCache` each (unless a model sets ``cache`` itself), so an
    identical model request is made once: S2A-KeepOrig and S2A-NI reuse S2A's
    rewrite, and a re-run after a parsing or prompt change only pays for the
    requests that changed.
    """

    def __init__(self, model: ModelLike, rewriter_model: ModelLike, cache_dir: Path | None) -> None:
        self._spec = (model, rewriter_model)
        self._resolved: tuple[Any, Any] | None = None
        self._caches = {
            stage: RequestCache(
                cache_dir / f"requests-{stage}.jsonl" if cache_dir else None, stage=stage
            )
            for stage in ("rewrite", "answer")
        }

    def _cached(self, model: Any, stage: str) -> Any:
        if isinstance(model, BaseChatModel) and model.cache is None:
            return model.model_copy(update={"cache": self._caches[stage]})
        return model

    def get(self) -> tuple[Any, Any]:
        if self._resolved is None:
            model, rewriter_spec = self._spec
            answer = resolve_chat_model(model)
            rewriter = resolve_chat_model(rewriter_spec) if rewriter_spec else answer
            if rewriter is answer:
                # A backend that supports it (the embedded llama.cpp model) hands out
                # a copy labelled for the rewrite, on the same weights.
                rewriter = context_copy(answer, "s2a_rewrite")
            self._resolved = (self._cached(answer, "answer"), self._cached(rewriter, "rewrite"))
        return self._resolved


async def arun_eval(
    items: Sequence[EvalItem],
    conditions: Iterable[str | Condition] = DEFAULT_CONDITIONS,
    *,
    model: ModelLike = None,
    rewriter_model: ModelLike = None,
    max_concurrency: int = 4,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    clean_inputs: bool = False,
) -> list[ItemResult]:
    """Run ``conditions`` on ``items`` and score every response.

    Args:
        items: Items from :func:`~langchain_s2a.eval.load_items` (any tasks).
        conditions: Condition names (see :data:`CONDITIONS`) or objects.
        model: The answering model (also the rewriter unless ``rewriter_model``):
            a chat model, an ``init_chat_model`` name, or ``None`` (embedded).
        rewriter_model: A separate model for the S2A rewrite step.
        max_concurrency: Maximum chain calls in flight.
        cache_dir: Directory of the generation cache; ``None`` disables it.
        progress: Show tqdm progress bars.
        clean_inputs: Also run every S2A-mode condition on the clean prompts of
            the GSM-IC items (their ``original_question``, the oracle prompt),
            recorded as a derived condition ``"<name>@clean"`` after the given
            ones; paired with ``oracle`` it measures the clean-input cost.
            Distinct prompts run once (a base problem's variants share one).

    Returns:
        One :class:`ItemResult` per (condition, applicable item), conditions in
        the given order (then the ``@clean`` ones), items in input order.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_s2a.eval import load_gsm_ic
        >>> fake = GenericFakeChatModel(messages=iter(["Final answer: 1"] * 2))
        >>> rs = asyncio.run(arun_eval(load_gsm_ic(limit=2), ["baseline"], model=fake,
        ...                            progress=False))
        >>> len(rs), rs[0].error
        (2, None)
    """
    conds = resolve_conditions(conditions)
    clean = {
        f"{c.name}{CLEAN_SUFFIX}": replace(c, name=f"{c.name}{CLEAN_SUFFIX}", oracle=True)
        for c in conds
        if clean_inputs and c.mode == "s2a" and any(i.task == "gsm-ic" for i in items)
    }
    conds += clean.values()
    models = _Models(model, rewriter_model, Path(cache_dir) if cache_dir else None)
    answer_key = model_key(model)
    rewriter_key = model_key(rewriter_model) if rewriter_model is not None else ""
    cache = GenerationCache(Path(cache_dir) / "generations.jsonl" if cache_dir else None)
    semaphore = asyncio.Semaphore(max(1, max_concurrency))
    chains: dict[tuple[str, Task], Any] = {}

    def chain_for(cond: Condition, task: Task) -> Any:
        if (cond.name, task) not in chains:
            from langchain_s2a.chain import create_s2a_chain

            answer_model, rewriter = models.get()
            chains[(cond.name, task)] = create_s2a_chain(
                answer_model,
                rewriter_model=rewriter,
                preset=PRESETS[task],
                variant=cond.variant,
                keep_original=cond.keep_original,
                instructed=cond.instructed,
                mode=cond.mode,
                answer_format=ANSWER_FORMATS[task],
                on_failure="original",
                prompt_style=cond.prompt_style,
                judge_sentences=cond.judge_sentences,
            )
        return chains[(cond.name, task)]

    results: list[ItemResult] = []
    for cond in conds:
        todo = [
            item
            for item in items
            if cond.applies_to(item) and (cond.name not in clean or item.task == "gsm-ic")
        ]
        keyed: list[tuple[EvalItem, str]] = []
        for item in todo:
            text = cond.input_text(item)
            parts = [
                answer_key,
                rewriter_key if cond.mode == "s2a" else "",
                cond.signature(PRESETS[item.task]),
                PRESETS[item.task],
                ANSWER_FORMATS[item.task] or "",
                PROMPT_VERSION if cond.mode != "baseline" else "",
                *([f"rules={REWRITE_RULES_VERSION}"] if cond.mode == "s2a" else []),
                *(["rewrite_only"] if item.meta.get("rewrite_only") else []),
                hashlib.sha256(text.encode("utf-8")).hexdigest(),
            ]
            keyed.append((item, _cache_key(parts)))
        pending: dict[str, EvalItem] = {}
        for item, key in keyed:
            if cache.get(key) is None and key not in pending:
                pending[key] = item
        errors: dict[str, str] = {}
        shared: set[str] = set()
        bar = _tqdm(
            total=len(pending),
            desc=f"{cond.name} ({len(todo) - len(pending)} cached)",
            disable=not progress or not pending,
            unit="call",
        )

        async def work(
            key: str,
            item: EvalItem,
            cond: Condition = cond,
            bar: Any = bar,
            errors: dict[str, str] = errors,
            shared: set[str] = shared,
        ) -> None:
            async with semaphore:
                cache.refresh()
                if cache.get(key) is not None:
                    shared.add(key)  # another run sharing the cache dir made it
                    bar.update(1)
                    return
                try:
                    chain = chain_for(cond, item.task)
                    with count_hits() as hits:
                        if item.meta.get("rewrite_only"):
                            generation = _rewrite_only(
                                await chain.rewriter.ainvoke(cond.input_text(item))
                            )
                        else:
                            generation = _to_generation(await chain.ainvoke(cond.input_text(item)))
                    if hits.get("rewrite"):
                        generation = replace(
                            generation, rewrite_shared=True, rewrite_latency_s=None
                        )
                    if hits.get("answer"):
                        generation = replace(generation, answer_shared=True, answer_latency_s=None)
                    generation = replace(generation, engine=engine_info(models.get()[0]))
                except Exception as exc:
                    errors[key] = f"{type(exc).__name__}: {exc}"
                else:
                    meta = {
                        "model": answer_key,
                        "rewriter": rewriter_key,
                        "condition": cond.name,
                        "item_id": item.item_id,
                        "prompt_version": PROMPT_VERSION,
                        "rewrite_rules": REWRITE_RULES_VERSION if cond.mode == "s2a" else None,
                    }
                    cache.put(key, generation, meta=meta)
                finally:
                    bar.update(1)

        try:
            await asyncio.gather(*(work(k, i) for k, i in pending.items()))
        finally:
            bar.close()
        for item, key in keyed:
            generation = cache.get(key)
            if generation is None:
                error = errors.get(key, "not run")
                results.append(ItemResult(item, cond.name, None, error=error))
                continue
            correct, parsed = _score(item, generation)
            cached = key not in pending or key in shared
            results.append(ItemResult(item, cond.name, generation, None, correct, parsed, cached))
    return results


def run_eval(
    items: Sequence[EvalItem],
    conditions: Iterable[str | Condition] = DEFAULT_CONDITIONS,
    *,
    model: ModelLike = None,
    rewriter_model: ModelLike = None,
    max_concurrency: int = 4,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    clean_inputs: bool = False,
) -> list[ItemResult]:
    """Synchronous :func:`arun_eval` (not callable from a running event loop).

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_s2a.eval import load_gsm_ic
        >>> fake = GenericFakeChatModel(messages=iter(["The answer is 3."]))
        >>> run_eval(load_gsm_ic(limit=1), ["baseline"], model=fake, progress=False)[0].parsed
        '3'
    """
    return asyncio.run(
        arun_eval(
            items,
            conditions,
            model=model,
            rewriter_model=rewriter_model,
            max_concurrency=max_concurrency,
            cache_dir=cache_dir,
            progress=progress,
            clean_inputs=clean_inputs,
        )
    )
