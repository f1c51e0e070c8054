"""Oversized input raises a clear error before any model call; nothing is truncated.

Two limits apply: ``max_input_chars`` (checked by every component before the first
model call) and, for the embedded model, its context window: ``ChatLocalLlama``
counts the prompt's tokens and raises ``ContextWindowExceededError`` (an
``S2AInputError``, so never retried) before generating. The llama.cpp backend is
replaced by a fake whose tokens are bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_s2a import (
    S2AInputError,
    S2ARewriter,
    build_s2a_graph,
    create_s2a_chain,
)
from langchain_s2a._internal.io.calls import is_transient
from langchain_s2a._internal.io.inputs import DEFAULT_MAX_INPUT_CHARS
from langchain_s2a.errors import ContextWindowExceededError
from langchain_s2a.models import _llama_backend
from langchain_s2a.models import llama as lm
from langchain_s2a.models.llama import ChatLocalLlama
from tests.fakes import FakeChat, fake

QUESTION = " Who wrote Hamlet? I think it was Marlowe."


def text_of(length: int) -> str:
    """Text of exactly ``length`` characters ending with a question."""
    filler = "Hamlet is a tragedy. 哈姆雷特是悲剧。🙂 "
    body = (filler * (length // len(filler) + 1))[: length - len(QUESTION)]
    return body + QUESTION


# ---------------------------------------------------------- max_input_chars
def test_default_limit_is_exact() -> None:
    model = fake("Context: none\nQuestion: Who wrote Hamlet?")
    at_limit = text_of(DEFAULT_MAX_INPUT_CHARS)
    assert len(at_limit) == DEFAULT_MAX_INPUT_CHARS
    assert not S2ARewriter(model).invoke(at_limit).fallback
    calls = len(model.calls)
    with pytest.raises(S2AInputError) as info:
        S2ARewriter(model).invoke(at_limit + "x")
    assert len(model.calls) == calls  # refused before any model call
    message = str(info.value)
    assert "100,001 characters" in message and "max_input_chars=100,000" in message
    assert "never truncated" in message
    assert isinstance(info.value, ValueError)
    assert not is_transient(info.value)


@pytest.mark.parametrize(
    "make_input",
    [
        lambda t: t,
        lambda t: {"input": t},
        lambda t: [SystemMessage("Be brief."), HumanMessage(t)],
        lambda t: [HumanMessage(t), AIMessage("ok"), HumanMessage(t)],
        lambda t: [
            HumanMessage([{"type": "text", "text": t[:10]}, {"type": "text", "text": t[10:]}])
        ],
    ],
    ids=["str", "dict", "messages", "conversation", "content-blocks"],
)
@pytest.mark.parametrize("call", ["invoke", "ainvoke", "stream", "astream", "batch", "abatch"])
async def test_chain_refuses_oversized_input_before_any_call(make_input: Any, call: str) -> None:
    model = fake("Context: none\nQuestion: Who wrote Hamlet?")
    chain = create_s2a_chain(model, max_input_chars=500)
    value = make_input(text_of(501))
    with pytest.raises(S2AInputError, match="max_input_chars=500"):
        if call == "invoke":
            chain.invoke(value)
        elif call == "ainvoke":
            await chain.ainvoke(value)
        elif call == "stream":
            list(chain.stream(value))
        elif call == "astream":
            [c async for c in chain.astream(value)]
        elif call == "batch":
            chain.batch([value])
        else:
            await chain.abatch([value])
    assert model.calls == []
    # The same input just under the limit goes through, untruncated.
    ok = await chain.ainvoke(make_input(text_of(500)))
    assert ok.rewrite.original == text_of(500)


@pytest.mark.parametrize("mode", ["s2a", "instructed", "baseline"])
def test_every_mode_checks_the_limit(mode: str) -> None:
    model = fake("Context: none\nQuestion: Who wrote Hamlet?")
    with pytest.raises(S2AInputError):
        create_s2a_chain(model, mode=mode, max_input_chars=100).invoke(text_of(101))  # type: ignore[arg-type]
    assert model.calls == []


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_graph_refuses_oversized_input_before_any_call(use_async: bool) -> None:
    model = fake("Context: none\nQuestion: Who wrote Hamlet?")
    graph = build_s2a_graph(model, max_input_chars=300)
    inputs = {"input": text_of(301)}
    with pytest.raises(S2AInputError, match="max_input_chars=300"):
        if use_async:
            await graph.ainvoke(inputs)
        else:
            graph.invoke(inputs)
    assert model.calls == []


def test_limit_counts_characters_not_bytes() -> None:
    model = fake("上下文：无\n问题：谁写了《哈姆雷特》？")
    text = "谁写了《哈姆雷特》？" * 10  # 100 characters, 300 bytes in UTF-8
    assert len(text) == 100
    rewrite = S2ARewriter(model, max_input_chars=100).invoke(text)
    assert rewrite.original == text and not rewrite.fallback


# --------------------------------------------------- local model context window
class ByteLlama:
    """The parts of ``llama_cpp.Llama`` that ``ChatLocalLlama`` uses; one token per byte."""

    def __init__(self) -> None:
        self.metadata: dict[str, str] = {}
        self.tokenized = 0
        self.completions = 0

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        self.tokenized += 1
        return list(text)

    def create_completion(self, *, prompt: list[int], **kw: Any) -> Iterator[Any]:
        self.completions += 1
        reply = "Context: none\nQuestion: Who wrote Hamlet?"
        criterion = kw["stopping_criteria"]

        def gen() -> Iterator[Any]:
            criterion(prompt, None)
            yield {"choices": [{"text": reply, "finish_reason": None}]}
            criterion([*prompt, 0], None)
            yield {"choices": [{"text": "", "finish_reason": "stop"}]}

        return gen()


def _chatml(messages: list[dict[str, str]]) -> str:
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


@pytest.fixture
def llama(monkeypatch: pytest.MonkeyPatch) -> Iterator[ByteLlama]:
    backend = ByteLlama()
    monkeypatch.setattr(_llama_backend, "_load_llama", lambda *key: backend)
    monkeypatch.setattr(_llama_backend, "_make_renderer", lambda _llama: (_chatml, "<|im_end|>"))
    lm.clear_local_model_cache()
    yield backend
    lm.clear_local_model_cache()


def local(n_ctx: int, max_tokens: int = 64) -> ChatLocalLlama:
    return ChatLocalLlama(
        model_path=Path("/models/fake.Q4.gguf"), n_ctx=n_ctx, max_tokens=max_tokens
    )


@pytest.mark.parametrize("call", ["invoke", "ainvoke", "stream", "astream"])
async def test_context_window_exceeded_before_generation(llama: ByteLlama, call: str) -> None:
    # The text is far below max_input_chars but its rewrite prompt does not fit in n_ctx.
    chain = create_s2a_chain(local(n_ctx=1_000), max_attempts=3)
    text = text_of(1_200)
    with pytest.raises(ContextWindowExceededError) as info:
        if call == "invoke":
            chain.invoke(text)
        elif call == "ainvoke":
            await chain.ainvoke(text)
        elif call == "stream":
            list(chain.stream(text))
        else:
            [c async for c in chain.astream(text)]
    assert "n_ctx=1000" in str(info.value) and "max_tokens is 64" in str(info.value)
    assert isinstance(info.value, S2AInputError)
    assert llama.completions == 0  # no generation at all
    assert llama.tokenized == 1  # not retried: it is not transient
    assert not is_transient(info.value)


def test_context_window_error_is_not_a_silent_fallback(llama: ByteLlama) -> None:
    # on_failure="original" covers unusable rewrites, never a prompt that was cut.
    rewriter = S2ARewriter(local(n_ctx=600), on_failure="original")
    with pytest.raises(ContextWindowExceededError):
        rewriter.invoke(text_of(800))
    assert llama.completions == 0


def test_graph_does_not_retry_context_window_errors(llama: ByteLlama) -> None:
    graph = build_s2a_graph(local(n_ctx=600))
    with pytest.raises(ContextWindowExceededError):
        graph.invoke({"input": text_of(800)})
    assert llama.tokenized == 1 and llama.completions == 0


def test_answer_step_window_is_checked_too(llama: ByteLlama) -> None:
    # The rewrite fits in a large window; the answer model's small window does not
    # hold even the original's question plus max_tokens.
    chain = create_s2a_chain(local(n_ctx=120, max_tokens=100), rewriter_model=local(n_ctx=8_000))
    with pytest.raises(ContextWindowExceededError, match="n_ctx=120"):
        chain.invoke(text_of(300))
    assert llama.completions == 1  # the rewrite ran; the answer never started


def test_fits_when_the_window_is_large_enough(llama: ByteLlama) -> None:
    result = create_s2a_chain(local(n_ctx=8_000)).invoke(text_of(1_200))
    assert result.rewrite.question.endswith("Who wrote Hamlet?")  # its sentence, verbatim
    assert llama.completions == 2


def test_unknown_backend_is_a_plain_chat_model() -> None:
    # Any other model is unaffected by the local model's checks.
    model = FakeChat(respond=lambda _m: "Context: none\nQuestion: Who wrote Hamlet?")
    assert not create_s2a_chain(model).invoke(text_of(50_000)).rewrite.fallback
