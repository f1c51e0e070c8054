"""The evaluation caches: finished generations, and the model requests behind them.

Two layers, both append-only JSONL files in the run's cache directory:

* :class:`GenerationCache` (``generations.jsonl``) stores one finished chain run
  per (model, condition settings, prompt version, input); a re-run of the same
  command makes no model call.
* :class:`RequestCache` (``requests-rewrite.jsonl``, ``requests-answer.jsonl``)
  is a LangChain LLM cache (:class:`~langchain_core.caches.BaseCache`) keyed by
  the exact messages and model settings of one model call. S2A-KeepOrig and
  S2A-NI send the very rewrite request S2A sent, and after a change to parsing
  or to one prompt, only the requests that changed reach the model again. Hits
  are counted per asyncio task (:func:`count_hits`) so the runner can mark
  generations whose latency was not measured.

Appends are single ``write`` calls on an ``O_APPEND`` descriptor, so two runs
(say, one per task) can share a directory; a torn last line is skipped on load.

Example:
    >>> from langchain_core.messages import AIMessage
    >>> from langchain_core.outputs import ChatGeneration
    >>> cache = RequestCache(None)
    >>> cache.update("prompt", "llm", [ChatGeneration(message=AIMessage("hi"))])
    >>> with count_hits() as hits:
    ...     cache.lookup("prompt", "llm")[0].text, hits
    ('hi', {'rewrite': 1})
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from langchain_core.caches import BaseCache
from langchain_core.messages import message_to_dict, messages_from_dict
from langchain_core.outputs import ChatGeneration
from langchain_core.outputs import Generation as LLMGeneration

from langchain_s2a.eval.records import Generation

__all__ = ["GenerationCache", "RequestCache", "count_hits", "default_cache_dir"]

_HITS: ContextVar[dict[str, int] | None] = ContextVar("s2a_eval_request_hits", default=None)


def default_cache_dir() -> Path:
    """The default evaluation cache directory (the user's cache dir)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("langchain-s2a")) / "eval"


@contextmanager
def count_hits() -> Iterator[dict[str, int]]:
    """Count :class:`RequestCache` hits in this context, by cache ``stage``.

    Yields:
        A dict filled with ``{stage: hits}`` as lookups hit.
    """
    hits: dict[str, int] = {}
    token = _HITS.set(hits)
    try:
        yield hits
    finally:
        _HITS.reset(token)


def _append(path: Path, row: dict[str, Any]) -> None:
    """Append one JSON line with a single write (atomic among O_APPEND writers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _rows(path: Path | None) -> Iterator[dict[str, Any]]:
    if path is None or not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            yield row


class GenerationCache:
    """Append-only JSONL cache of generations (in memory only when ``path`` is None).

    A torn last line (an interrupted write) is skipped on load. :meth:`refresh`
    reads what other processes appended since, so several runs of one command
    can share a cache directory and split the work.

    Example:
        >>> cache = GenerationCache(None)
        >>> cache.put("k", Generation(answer="42"), meta={})
        >>> cache.get("k").answer
        '42'
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._data: dict[str, Generation] = {}
        self._offset = 0
        self.refresh()

    def refresh(self) -> int:
        """Read rows appended to the file since the last read; returns how many."""
        if self.path is None or not self.path.exists():
            return 0
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1  # only complete lines; a partial one is read later
        self._offset += end
        added = 0
        for line in chunk[:end].splitlines():
            try:
                row = json.loads(line)
                self._data[row["key"]] = Generation.from_dict(row["generation"])
            except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
                continue
            added += 1
        return added

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> Generation | None:
        """The cached generation for ``key``, if any."""
        return self._data.get(key)

    def put(self, key: str, generation: Generation, *, meta: dict[str, Any]) -> None:
        """Store a generation and append it to the file."""
        self._data[key] = generation
        if self.path is not None:
            _append(self.path, {"key": key, **meta, "generation": generation.to_dict()})


class RequestCache(BaseCache):
    """LangChain LLM cache of chat-model requests, in memory and optionally on disk.

    Args:
        path: JSONL file to load and append to; ``None`` keeps it in memory.
        stage: Label under which hits are counted (``"rewrite"`` or ``"answer"``).

    Only chat generations are stored (message, with usage and metadata); the
    cache is meant for deterministic (temperature 0) evaluation runs, where an
    identical request would produce the identical reply.
    """

    def __init__(self, path: str | Path | None = None, *, stage: str = "rewrite") -> None:
        self.path = Path(path) if path is not None else None
        self.stage = stage
        self._data: dict[tuple[str, str], list[ChatGeneration]] = {}
        for row in _rows(self.path):
            try:
                gens = [
                    ChatGeneration(
                        message=messages_from_dict([g["message"]])[0],
                        generation_info=g.get("generation_info"),
                    )
                    for g in row["generations"]
                ]
                self._data[(row["prompt"], row["llm"])] = gens
            except (KeyError, TypeError, ValueError):
                continue

    def __len__(self) -> int:
        return len(self._data)

    def lookup(self, prompt: str, llm_string: str) -> Sequence[LLMGeneration] | None:
        """The stored generations of this exact request, counting the hit."""
        found = self._data.get((prompt, llm_string))
        hits = _HITS.get()
        if found is not None and hits is not None:
            hits[self.stage] = hits.get(self.stage, 0) + 1
        return list(found) if found is not None else None

    def update(self, prompt: str, llm_string: str, return_val: Sequence[LLMGeneration]) -> None:
        """Store the generations of a request (non-chat generations are not cached)."""
        gens = [g for g in return_val if isinstance(g, ChatGeneration)]
        if not gens or len(gens) != len(return_val):
            return
        self._data[(prompt, llm_string)] = gens
        if self.path is not None:
            row = {
                "llm": llm_string,
                "prompt": prompt,
                "generations": [
                    {"message": message_to_dict(g.message), "generation_info": g.generation_info}
                    for g in gens
                ],
            }
            _append(self.path, row)

    def clear(self, **kwargs: Any) -> None:
        """Forget every entry in memory (the file is left as it is)."""
        self._data.clear()
