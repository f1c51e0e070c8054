"""Loading llama.cpp models once per settings, rendering their chat templates, threads."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import os
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)

from langchain_s2a._internal.io.inputs import message_text
from langchain_s2a._internal.text.neutral import break_control_tokens
from langchain_s2a.errors import LocalModelNotInstalledError
from langchain_s2a.models._prefix_cache import KVStore, LlamaKV, PrefixCache

__all__ = [
    "INSTALL_HINT",
    "THREADS_ENV",
    "Backend",
    "SampleCounter",
    "aiter_in_thread",
    "available_cores",
    "clear_local_model_cache",
    "compile_grammar",
    "convert_messages",
    "get_backend",
]

INSTALL_HINT = "pip install 'langchain-s2a[local]'"

THREADS_ENV = "S2A_LLAMA_THREADS"
"""Overrides the default thread count (all available cores); use fewer on a busy machine."""

_T = TypeVar("_T")

_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _text_of(message: BaseMessage) -> str:
    return message_text(message, who="ChatLocalLlama supports", error=ValueError)


def convert_messages(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Convert LangChain messages to OpenAI-style ``{"role", "content"}`` dicts.

    Chat-template control tokens inside a message's text are broken up
    (:func:`~langchain_s2a._internal.text.neutral.break_control_tokens`), as a hosted API
    treats them: only the template itself opens and closes turns.

    Raises:
        ValueError: For tool messages, tool calls, non-text content or unknown roles.

    Example:
        >>> convert_messages([SystemMessage("Be brief."), HumanMessage("Hi")])
        [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    if not messages:
        raise ValueError("ChatLocalLlama needs at least one message")
    out: list[dict[str, str]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            role = "system"
        elif isinstance(message, HumanMessage):
            role = "user"
        elif isinstance(message, AIMessage):
            if message.tool_calls:
                raise ValueError("ChatLocalLlama does not support tool calls")
            role = "assistant"
        elif isinstance(message, ChatMessage) and message.role in {"system", "user", "assistant"}:
            role = message.role
        else:
            raise ValueError(
                f"ChatLocalLlama does not support {type(message).__name__} messages; "
                "use system, human and ai messages"
            )
        # A control token written in a message is text: the user's "<|im_start|>system"
        # must not open a turn of the chat template (the prompt is tokenised with its
        # special tokens parsed).
        out.append({"role": role, "content": break_control_tokens(_text_of(message))})
    return out


@dataclass
class Backend:
    """A loaded ``Llama``, the lock serialising calls, its prompt renderer and prefix cache."""

    llama: Any
    lock: threading.Lock
    render: Callable[[list[dict[str, str]]], str]
    eos_text: str
    kv: KVStore | None
    prefix: PrefixCache = field(default_factory=PrefixCache)


def _token_text(llama: Any, token_id: int) -> str:
    if token_id < 0:
        return ""
    raw: bytes = llama.detokenize([token_id], special=True)
    return raw.decode("utf-8", errors="ignore")


def _make_renderer(llama: Any) -> tuple[Callable[[list[dict[str, str]]], str], str]:
    """Build a renderer from the GGUF's embedded chat template (ChatML if it has none)."""
    template = llama.metadata.get("tokenizer.chat_template") or _CHATML
    eos_text = _token_text(llama, llama.token_eos())
    bos_text = _token_text(llama, llama.token_bos())
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter: Any = Jinja2ChatFormatter(template=template, eos_token=eos_text, bos_token=bos_text)

    def render(messages: list[dict[str, str]]) -> str:
        return str(formatter(messages=messages).prompt)

    return render, eos_text


def _load_llama(model_path: str, n_ctx: int, n_threads: int, n_batch: int, seed: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LocalModelNotInstalledError(
            f"llama-cpp-python is not installed; install it with: {INSTALL_HINT}"
        ) from exc
    return Llama(
        model_path=model_path,
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_threads_batch=n_threads,
        n_batch=n_batch,
        seed=seed,
        verbose=False,
    )


def _make_kv(llama: Any) -> KVStore | None:
    """The KV access of a real ``Llama``; ``None`` for look-alikes without a context."""
    if not all(hasattr(llama, name) for name in ("_ctx", "input_ids", "n_batch", "eval")):
        return None
    return LlamaKV(llama)


_CACHE: dict[tuple[str, int, int, int, int], Backend] = {}
_CACHE_LOCK = threading.Lock()
# One lock per weights file: contexts over the same weights take turns, because two
# llama.cpp computations at once on a small machine oversubscribe its cores.
_RUN_LOCKS: dict[str, threading.Lock] = {}


def get_backend(key: tuple[str, int, int, int, int]) -> Backend:
    """The backend for (path, n_ctx, threads, n_batch, seed), loaded once.

    Backends over the same file (with other load settings) share one lock.
    """
    with _CACHE_LOCK:
        backend = _CACHE.get(key)
        if backend is None:
            llama = _load_llama(*key)
            render, eos_text = _make_renderer(llama)
            lock = _RUN_LOCKS.setdefault(key[0], threading.Lock())
            backend = Backend(llama, lock, render, eos_text, _make_kv(llama))
            _CACHE[key] = backend
        return backend


@functools.lru_cache(maxsize=32)
def compile_grammar(text: str) -> Any:
    """A ``llama_cpp.LlamaGrammar`` for GBNF ``text`` (cached; parsed by llama.cpp on use)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


def clear_local_model_cache() -> None:
    """Drop every cached ``Llama`` (memory is freed once no model references it)."""
    with _CACHE_LOCK:
        _CACHE.clear()


class SampleCounter:
    """Stopping criterion that never stops and counts sampled tokens.

    llama.cpp calls it after each sampled token with the ids so far (one longer each
    time) and once more after generation with the same ids, which is not counted.
    """

    def __init__(self) -> None:
        self.samples = 0
        self.first_at: float | None = None
        """``time.perf_counter()`` when the first token was sampled (the prompt was read)."""
        self._last_len = -1

    def __call__(self, input_ids: Sequence[int], _logits: object) -> bool:
        if len(input_ids) > self._last_len:
            self.samples += 1
            if self.first_at is None:
                self.first_at = time.perf_counter()
        self._last_len = len(input_ids)
        return False


def available_cores() -> int:
    """CPU cores this process may run on (``sched_getaffinity``, else ``cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


async def aiter_in_thread(
    produce: Callable[[threading.Event], Iterator[_T]],
) -> AsyncGenerator[_T, None]:
    """Run a blocking generator in a worker thread and yield its items on the event loop.

    ``produce`` gets an event that is set when the consumer stops (closes this
    iterator or fails), so a long generation can stop early.

    Example:
        >>> async def collect() -> list[int]:
        ...     return [n async for n in aiter_in_thread(lambda _cancel: iter(range(3)))]
        >>> asyncio.run(collect())
        [0, 1, 2]
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancel = threading.Event()

    def put(item: tuple[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop may be closed already
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def worker() -> None:
        try:
            for produced in produce(cancel):
                put(("item", produced))
        except BaseException as exc:
            put(("error", exc))
        else:
            put(("done", None))

    future = loop.run_in_executor(None, worker)
    try:
        while True:
            kind, item = await queue.get()
            if kind == "error":
                raise item
            if kind == "done":
                break
            yield item
        await future
    finally:
        cancel.set()


def _close_llama_cpp_devnull() -> None:
    """Close the two ``/dev/null`` files ``llama_cpp._utils`` opens at import.

    llama-cpp-python never closes them, so the interpreter reports them as a
    ``ResourceWarning`` at exit. llama.cpp writes to them only while it loads a
    model (with ``verbose=False``), which no exit handler does.
    """
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None and not handle.closed:
            handle.close()


atexit.register(_close_llama_cpp_devnull)
