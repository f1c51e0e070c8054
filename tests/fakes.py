"""A small deterministic fake chat model for offline tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

Responder = Callable[[list[BaseMessage]], "str | BaseException"]


@dataclass
class Call:
    messages: list[BaseMessage]
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    run_name: str | None = None
    is_async: bool = False
    streamed: bool = False


def is_rewrite_prompt(messages: list[BaseMessage]) -> bool:
    return any("<user_text>" in m.text for m in messages)


def scripted(rewrite: str | Sequence[str] | None = None, answer: str = "ANSWER") -> Responder:
    """Reply with ``rewrite`` (or successive items) to rewrite prompts, ``answer`` otherwise."""
    queue = [rewrite] if isinstance(rewrite, str) or rewrite is None else list(rewrite)
    lock = threading.Lock()

    def respond(messages: list[BaseMessage]) -> str:
        if is_rewrite_prompt(messages):
            with lock:
                item = queue.pop(0) if len(queue) > 1 else queue[0]
            return item if item is not None else ""
        return answer

    return respond


class FakeChat(BaseChatModel):
    """Answers via ``respond(messages)``; records every call; real async; streams by word."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    respond: Responder
    calls: list[Call] = Field(default_factory=list)
    delay: float = 0.0
    in_flight: int = 0
    peak_in_flight: int = 0
    usage: bool = True
    finish_reason: str = "stop"

    @property
    def _llm_type(self) -> str:
        return "fake-chat"

    def _reply(self, messages: list[BaseMessage]) -> str:
        out = self.respond(messages)
        if isinstance(out, BaseException):
            raise out
        return out

    def _record(self, messages: list[BaseMessage], run_manager: Any, **flags: Any) -> None:
        tags = list(getattr(run_manager, "tags", []) or [])
        metadata = dict(getattr(run_manager, "metadata", {}) or {})
        self.calls.append(Call(list(messages), tags, metadata, **flags))

    def _message(self, text: str, messages: list[BaseMessage]) -> AIMessage:
        n_in = sum(len(m.text.split()) for m in messages)
        n_out = len(text.split())
        usage = (
            {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}
            if self.usage
            else None
        )
        return AIMessage(
            text,
            usage_metadata=usage,  # type: ignore[arg-type]
            response_metadata={"finish_reason": self.finish_reason},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._record(messages, run_manager)
        return ChatResult(
            generations=[ChatGeneration(message=self._message(self._reply(messages), messages))]
        )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._record(messages, run_manager, is_async=True)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            text = self._reply(messages)
        finally:
            self.in_flight -= 1
        return ChatResult(generations=[ChatGeneration(message=self._message(text, messages))])

    def _chunks(self, text: str, messages: list[BaseMessage]) -> list[ChatGenerationChunk]:
        words = text.split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        chunks = [ChatGenerationChunk(message=AIMessageChunk(p)) for p in pieces]
        final = self._message(text, messages)
        chunks.append(
            ChatGenerationChunk(
                message=AIMessageChunk(
                    "",
                    usage_metadata=final.usage_metadata,
                    response_metadata=final.response_metadata,
                    chunk_position="last",
                )
            )
        )
        return chunks

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self._record(messages, run_manager, streamed=True)
        for chunk in self._chunks(self._reply(messages), messages):
            if run_manager and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        self._record(messages, run_manager, is_async=True, streamed=True)
        for chunk in self._chunks(self._reply(messages), messages):
            if run_manager and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    @property
    def rewrite_calls(self) -> list[Call]:
        return [c for c in self.calls if is_rewrite_prompt(c.messages)]

    @property
    def answer_calls(self) -> list[Call]:
        return [c for c in self.calls if not is_rewrite_prompt(c.messages)]


def fake(rewrite: str | Sequence[str] | None = None, answer: str = "ANSWER", **kw: Any) -> FakeChat:
    return FakeChat(respond=scripted(rewrite, answer), **kw)
