"""An offline LangChain chat model running the embedded GGUF model through llama.cpp.

``ChatLocalLlama`` is a small :class:`~langchain_core.language_models.BaseChatModel`
over ``llama_cpp.Llama``: it renders messages with the chat template embedded in the
GGUF file, refuses prompts that would overflow the context window, decodes greedily
by default and reports token usage. ``load_local_chat_model`` assembles the bundled
weights (see ``langchain_s2a.models._weights``) and returns a ready model.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr, field_validator

from langchain_s2a.errors import ContextWindowExceededError, LocalModelNotInstalledError
from langchain_s2a.models._llama_backend import (
    INSTALL_HINT,
    THREADS_ENV,
    Backend,
    SampleCounter,
    aiter_in_thread,
    available_cores,
    clear_local_model_cache,
    compile_grammar,
    convert_messages,
    get_backend,
)
from langchain_s2a.models._weights import ensure_model_file, model_spec

__all__ = [
    "THREADS_ENV",
    "ChatLocalLlama",
    "available_cores",
    "clear_local_model_cache",
    "convert_messages",
    "load_local_chat_model",
]

_CALL_OPTIONS = frozenset(
    {
        "max_tokens",
        "temperature",
        "repeat_penalty",
        "seed",
        "top_p",
        "top_k",
        "grammar",
        "top_logprobs",
    }
)


class _FirstLogits:
    """A llama.cpp logits processor keeping the raw logits of the first sampled token."""

    def __init__(self) -> None:
        self.logits: Any = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.logits is None:
            self.logits = scores.copy()
        return scores


def _top_logprobs(llama: Any, logits: Any, k: int) -> list[dict[str, Any]]:
    """The ``k`` most likely first tokens with log-probabilities (OpenAI's shape)."""
    import numpy as np

    values = np.asarray(logits, dtype=np.float64)
    values = values - values.max()
    logprobs = values - np.log(np.exp(values).sum())
    top = np.argsort(-logprobs)[:k]
    return [
        {
            "token": llama.detokenize([int(i)], special=True).decode("utf-8", errors="replace"),
            "logprob": float(logprobs[i]),
        }
        for i in top
    ]


class ChatLocalLlama(BaseChatModel):
    """Chat model over a local GGUF file run by ``llama_cpp.Llama``, fully offline.

    The ``Llama`` is loaded lazily on first use and shared by every instance with the
    same path and load settings; calls are serialised with a lock because a llama.cpp
    context is not thread-safe. Async methods run the blocking work in a worker
    thread, so the event loop stays responsive.

    Prompt prefixes are reused: a copy of the KV cache of each recent prompt (a few
    MB) is kept and the one sharing the longest prefix with a new prompt is restored,
    so alternating prompt families (S2A's rewrite and answer) each read only their
    new tokens, on one copy of the weights. Reuse stops only where llama.cpp's kernels
    give bit-identical logits (multiples of four tokens, pieces of at least eight), so
    outputs equal those of evaluating each prompt from scratch (see
    ``langchain_s2a.models._prefix_cache``); ``usage_metadata`` reports the reused tokens
    as ``input_token_details["cache_read"]``. ``prefix_cache_mb=0`` restores
    llama-cpp-python's own prefix matching.

    The call option ``grammar`` (GBNF text) constrains the reply, e.g.
    ``llm.invoke(messages, grammar='root ::= "yes" | "no"')``; ``top_logprobs=k``
    reports the ``k`` most likely *first* reply tokens, from the logits before the
    grammar, as ``response_metadata["logprobs"]`` in OpenAI's shape
    (``{"content": [{"top_logprobs": [{"token", "logprob"}, ...]}]}``).

    Example:
        >>> from langchain_s2a.models.llama import load_local_chat_model
        >>> llm = load_local_chat_model("0.5b", max_tokens=16)  # doctest: +SKIP
        >>> llm.invoke("What is the capital of France? One word.").content  # doctest: +SKIP
        'Paris'
    """

    model_path: str
    """Path of the ``.gguf`` file."""
    model_name: str = ""
    """Name reported in metadata; defaults to the file name without ``.gguf``."""
    n_ctx: int = Field(default=4096, ge=16)
    """Context window in tokens (prompt plus generated tokens must fit)."""
    n_threads: int | None = None
    """CPU threads; ``None`` uses every core available to the process."""
    n_batch: int = Field(default=512, ge=1)
    """Prompt-processing batch size."""
    temperature: float = Field(default=0.0, ge=0.0)
    """Sampling temperature; 0 means greedy (deterministic) decoding."""
    max_tokens: int = Field(default=512, ge=1)
    """Maximum number of tokens to generate."""
    repeat_penalty: float = 1.0
    """Repetition penalty (1.0 disables it)."""
    top_p: float = 0.95
    """Nucleus sampling (only used when ``temperature > 0``)."""
    top_k: int = 40
    """Top-k sampling (only used when ``temperature > 0``)."""
    seed: int = 0
    """Sampling seed."""
    stop: list[str] | None = None
    """Extra stop strings (the model's end-of-turn token always stops)."""
    prefix_cache_mb: int = Field(default=64, ge=0)
    """Memory for copies of recent prompts' KV cache (0: none, and llama-cpp-python's
    own prefix matching as before)."""
    context_name: str = "default"
    """A label kept for compatibility: every name shares one ``Llama`` (weights and KV
    cache) per load settings; see :meth:`with_context`."""

    supports_grammar: ClassVar[bool] = True
    """Capability: the call option ``grammar`` (GBNF) constrains the reply. S2A's
    constrained replies (:mod:`langchain_s2a._internal.reading.constrained`) check it on
    the model's class instead of importing this backend."""

    _backend: Backend | None = PrivateAttr(default=None)
    _load_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @field_validator("model_path", mode="before")
    @classmethod
    def _path_to_str(cls, value: object) -> object:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    def model_post_init(self, context: Any, /) -> None:
        """Default ``model_name`` to the file's stem."""
        super().model_post_init(context)
        if not self.model_name:
            self.model_name = Path(self.model_path).stem.lower()

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "repeat_penalty": self.repeat_penalty,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "seed": self.seed,
            "stop": self.stop,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "llama-cpp"
        override = kwargs.get("model")  # a per-call model name, as the standard tests expect
        params["ls_model_name"] = override if isinstance(override, str) else self.model_name
        return params

    def with_context(self, name: str) -> ChatLocalLlama:
        """A copy of this model labelled ``name``, on the same weights and context.

        This used to load a second ``Llama`` so that the rewrite instructions stayed
        evaluated between S2A's alternating rewrite and answer calls (at twice the
        memory). Prompt copies (``prefix_cache_mb``) now keep every prompt
        family's instructions evaluated in one context, so the copy shares this
        model's weights; ``create_s2a_chain(llm, rewriter_model=llm.with_context(
        "rewrite"))`` still works and costs no memory.

        Example:
            >>> llm = ChatLocalLlama(model_path="m.gguf")
            >>> llm.with_context("s2a_rewrite").context_name
            's2a_rewrite'
        """
        copy = self.model_copy(update={"context_name": name})
        copy._backend = None
        copy._load_lock = threading.Lock()
        return copy

    def load(self) -> ChatLocalLlama:
        """Load the model now instead of on first call; returns ``self``."""
        self._get()
        return self

    def _get(self) -> Backend:
        if self._backend is None:
            with self._load_lock:
                if self._backend is None:
                    env_threads = os.environ.get(THREADS_ENV, "").strip()
                    threads = self.n_threads or (
                        int(env_threads) if env_threads.isdigit() else available_cores()
                    )
                    key = (self.model_path, self.n_ctx, threads, self.n_batch, self.seed)
                    self._backend = get_backend(key)
        return self._backend

    def count_prompt_tokens(self, messages: Sequence[BaseMessage]) -> int:
        """Number of tokens the rendered chat prompt for ``messages`` takes."""
        backend = self._get()
        return len(self._tokenize(backend, convert_messages(messages)))

    @staticmethod
    def _tokenize(backend: Backend, dicts: list[dict[str, str]]) -> list[int]:
        prompt = backend.render(dicts)
        tokens: list[int] = backend.llama.tokenize(
            prompt.encode("utf-8"), add_bos=False, special=True
        )
        return tokens

    def _options(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(kwargs) - _CALL_OPTIONS
        if unknown:
            raise TypeError(f"ChatLocalLlama got unsupported call options: {sorted(unknown)}")
        opts: dict[str, Any] = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "repeat_penalty": self.repeat_penalty,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "seed": self.seed,
        }
        opts.update(kwargs)
        opts["stop"] = [*(self.stop or []), *(stop or [])]
        return opts

    def _run(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        cancel: threading.Event | None = None,
    ) -> Iterator[ChatGenerationChunk]:
        """Core generator: text chunks, then a last chunk with usage and finish reason."""
        dicts = convert_messages(messages)
        opts = self._options(stop, kwargs)
        backend = self._get()
        with backend.lock:
            started = time.perf_counter()
            prompt_tokens = self._tokenize(backend, dicts)
            n_prompt, max_tokens = len(prompt_tokens), int(opts["max_tokens"])
            if n_prompt + max_tokens > self.n_ctx:
                raise ContextWindowExceededError(
                    f"The prompt is {n_prompt} tokens and max_tokens is {max_tokens}: "
                    f"{n_prompt + max_tokens} exceeds the context window n_ctx={self.n_ctx}. "
                    "Shorten the input, lower max_tokens or raise n_ctx."
                )
            counter = SampleCounter()
            first = _FirstLogits() if opts.get("top_logprobs") else None
            top_k_logprobs = int(opts.pop("top_logprobs", 0) or 0)
            if first is not None:
                from llama_cpp import LogitsProcessorList

                opts["logits_processor"] = LogitsProcessorList([first])
            if opts.get("grammar") is not None:
                opts["grammar"] = compile_grammar(str(opts["grammar"]))
            reused: int | None = None
            if self.prefix_cache_mb > 0 and backend.kv is not None:
                reused = backend.prefix.prepare(
                    backend.kv, prompt_tokens, capacity_bytes=self.prefix_cache_mb << 20
                )
            if backend.eos_text:
                opts["stop"].append(backend.eos_text)
            stream = backend.llama.create_completion(
                prompt=prompt_tokens, stream=True, stopping_criteria=counter, **opts
            )
            finish_reason = "stop"
            try:
                for part in stream:
                    choice = part["choices"][0]
                    if choice.get("finish_reason"):
                        finish_reason = choice["finish_reason"]
                    if choice.get("text"):
                        yield ChatGenerationChunk(message=AIMessageChunk(content=choice["text"]))
                    if cancel is not None and cancel.is_set():
                        break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            ended = time.perf_counter()
            logprobs = None
            if first is not None and first.logits is not None:
                top = _top_logprobs(backend.llama, first.logits, top_k_logprobs)
                logprobs = {"content": [{"top_logprobs": top}]}
        read_at = counter.first_at or ended
        timings = {"prompt_s": round(read_at - started, 4), "generate_s": round(ended - read_at, 4)}
        # The end-of-turn token (or the token completing a stop string) is sampled but
        # is not part of the returned text, so it is not counted.
        n_out = max(0, counter.samples - (1 if finish_reason == "stop" else 0))
        usage = UsageMetadata(
            input_tokens=n_prompt, output_tokens=n_out, total_tokens=n_prompt + n_out
        )
        if reused is not None:
            usage["input_token_details"] = {"cache_read": reused}
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=usage,
                response_metadata={
                    "finish_reason": finish_reason,
                    "model_name": self.model_name,
                    "timings": timings,
                    **({"logprobs": logprobs} if logprobs is not None else {}),
                },
                chunk_position="last",
            ),
            generation_info={"finish_reason": finish_reason},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        texts: list[str] = []
        last: ChatGenerationChunk | None = None
        for chunk in self._run(messages, stop, kwargs):
            texts.append(chunk.text)
            last = chunk
        assert last is not None and isinstance(last.message, AIMessageChunk)
        message = AIMessage(
            content="".join(texts),
            usage_metadata=last.message.usage_metadata,
            response_metadata=dict(last.message.response_metadata),
        )
        info = {"finish_reason": message.response_metadata["finish_reason"]}
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=info)],
            llm_output={"model_name": self.model_name},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._run(messages, stop, kwargs):
            if run_manager is not None and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages, stop, None, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        chunks = aiter_in_thread(lambda cancel: self._run(messages, stop, kwargs, cancel))
        async with contextlib.aclosing(chunks):  # closing early stops the generation
            async for chunk in chunks:
                if run_manager is not None and chunk.text:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk


def load_local_chat_model(size: str = "1.5b", **kwargs: Any) -> ChatLocalLlama:
    """Return a :class:`ChatLocalLlama` over the embedded model of ``size``.

    The GGUF file is assembled on first use (with a progress bar); the loaded weights
    are cached per (path, load settings), so repeated calls do not reload them.

    Args:
        size: ``"1.5b"`` (Qwen2.5-Coder-1.5B-Instruct, default), ``"0.5b"`` or
            ``"135m"`` (SmolLM2-135M-Instruct).
        **kwargs: Fields of :class:`ChatLocalLlama` (``max_tokens``, ``n_ctx``...).

    Raises:
        LocalModelNotInstalledError: If llama-cpp-python or the model packages are
            missing (the message names the pip command).

    Example:
        >>> llm = load_local_chat_model("0.5b", max_tokens=64)  # doctest: +SKIP
        >>> llm.model_name  # doctest: +SKIP
        'qwen2.5-coder-0.5b-instruct-q4_k_m'
    """
    spec = model_spec(size)
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise LocalModelNotInstalledError(
            f"llama-cpp-python is not installed; install it with: {INSTALL_HINT}"
        ) from exc
    path = ensure_model_file(spec.size, progress=True)
    kwargs.setdefault("model_name", spec.model_name)
    return ChatLocalLlama(model_path=str(path), **kwargs)
