"""Integration tests with the real embedded models (CPU only, kept small)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_s2a.errors import LocalModelNotInstalledError
from langchain_s2a.models._weights import ensure_model_file

QUESTION = [
    SystemMessage("You answer in as few words as possible."),
    HumanMessage("What is the capital of France? Answer in one word."),
]


def _local(size: str, **kwargs: Any) -> Any:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    from langchain_s2a.models.llama import load_local_chat_model

    try:
        ensure_model_file(size)
    except LocalModelNotInstalledError as exc:
        pytest.skip(f"model {size} not installed: {exc}")
    return load_local_chat_model(size, **kwargs)


@pytest.fixture(scope="module")
def small() -> Any:
    return _local("0.5b", max_tokens=32).load()


@pytest.mark.local_model
async def test_small_model_sync_async_stream(small: Any) -> None:
    first = small.invoke(QUESTION)
    assert "Paris" in first.content
    assert first.response_metadata["finish_reason"] == "stop"
    assert first.response_metadata["model_name"] == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    usage = first.usage_metadata
    assert usage["input_tokens"] > 10 and usage["output_tokens"] >= 1
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]

    # Temperature 0: deterministic across calls and across sync / async / streaming.
    assert small.invoke(QUESTION).content == first.content
    assert (await small.ainvoke(QUESTION)).content == first.content

    prompt = [HumanMessage("Count from 1 to 10, separated by spaces.")]
    chunks = list(small.stream(prompt))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 5  # really streamed token by token
    assert "".join(texts) == small.invoke(prompt).content
    assert chunks[-1].usage_metadata["output_tokens"] >= len(texts)

    achunks = [c async for c in small.astream(prompt)]
    assert "".join(str(c.content) for c in achunks) == "".join(texts)
    counts = ("input_tokens", "output_tokens", "total_tokens")  # cache_read depends on history
    assert all(achunks[-1].usage_metadata[k] == chunks[-1].usage_metadata[k] for k in counts)


@pytest.mark.local_model
def test_small_model_usage_matches_llama_cpp_chat(small: Any) -> None:
    """Our prompt rendering gives the same tokens and text as llama.cpp's own chat path."""
    ours = small.invoke(QUESTION, max_tokens=8)
    llama = small._get().llama
    with small._get().lock:
        theirs = llama.create_chat_completion(
            messages=[
                {"role": "system", "content": QUESTION[0].content},
                {"role": "user", "content": QUESTION[1].content},
            ],
            temperature=0.0,
            repeat_penalty=1.0,
            max_tokens=8,
        )
    assert ours.content == theirs["choices"][0]["message"]["content"]
    assert ours.usage_metadata["input_tokens"] == theirs["usage"]["prompt_tokens"]
    assert ours.usage_metadata["output_tokens"] == theirs["usage"]["completion_tokens"]


@pytest.mark.local_model
def test_small_model_limits(small: Any) -> None:
    from langchain_s2a.errors import ContextWindowExceededError

    long = small.invoke([HumanMessage("Write a long story about a dragon.")], max_tokens=5)
    assert long.response_metadata["finish_reason"] == "length"
    assert long.usage_metadata["output_tokens"] == 5
    with pytest.raises(ContextWindowExceededError, match="n_ctx=4096"):
        small.invoke(QUESTION, max_tokens=4090)


@pytest.mark.local_model
def test_default_model_answers() -> None:
    llm = _local("1.5b", max_tokens=16)
    answer = llm.invoke(QUESTION)
    assert "Paris" in answer.content
    assert llm.model_name == "qwen2.5-coder-1.5b-instruct-q4_k_m"


@pytest.mark.local_model
def test_smollm2_chat_template() -> None:
    llm = _local("135m", max_tokens=48)
    prompt = llm._get().render([{"role": "user", "content": "Hi"}])
    assert prompt.startswith("<|im_start|>system\n")
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert "Paris" in llm.invoke(QUESTION).content


@pytest.mark.local_model
@pytest.mark.hf_model
def test_huggingface_path_135m(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="needs torch (langchain-s2a[hf])")
    pytest.importorskip("transformers", reason="needs transformers (langchain-s2a[hf])")
    pytest.importorskip("gguf", reason="needs gguf (langchain-s2a[hf])")
    pytest.importorskip("accelerate", reason="needs accelerate (langchain-s2a[hf])")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from langchain_s2a.models.huggingface import load_huggingface_chat_model

    try:
        ensure_model_file("135m")
    except LocalModelNotInstalledError as exc:
        pytest.skip(f"model 135m not installed: {exc}")
    llm = load_huggingface_chat_model("135m", max_new_tokens=24)
    first = llm.invoke(QUESTION)
    assert "Paris" in first.content
    assert not first.content.startswith("<|im_start|>")  # return_full_text=False
    assert llm.invoke(QUESTION).content == first.content  # greedy decoding


@pytest.mark.local_model
def test_prefix_reuse_outputs_equal_fresh_evaluation(small: Any) -> None:
    """Alternating prompt families reuse their prefixes and decode exactly as from scratch."""
    rules = {
        "rewrite": "Rewrite the user's text without opinions. Keep every fact. " * 3,
        "answer": "Answer the question in one short sentence, without explaining. " * 3,
    }
    texts = ["Who wrote Hamlet? I think Marlowe.", "What is the capital of Peru?", "Is 7 prime?"]
    calls = [[SystemMessage(r), HumanMessage(t)] for t in texts for r in rules.values()]
    backend = small._get()
    with backend.lock:
        backend.prefix.clear()
    reused = [small.invoke(m, max_tokens=24) for m in calls]
    fresh = []
    for messages in calls:
        with backend.lock:
            backend.llama.reset()
            backend.llama._ctx.kv_cache_clear()
        fresh.append(
            small.model_copy(update={"prefix_cache_mb": 0}).invoke(messages, max_tokens=24)
        )
    assert [m.content for m in reused] == [m.content for m in fresh]
    cached = [m.usage_metadata["input_token_details"]["cache_read"] for m in reused]
    # From the second text on, each family's instructions come from its copy.
    assert min(cached[2::2]) >= 40 and min(cached[3::2]) >= 32


@pytest.mark.local_model
def test_constrained_extractive_reply_always_parses(small: Any) -> None:
    import re

    from langchain_s2a import S2ARewriter

    text = "The Eiffel Tower is in Paris. How tall is the Eiffel Tower? I think 200 m, but I'm not sure."
    rewrite = S2ARewriter(small, constrained=True).invoke(text)
    assert re.fullmatch(r"Keep: (none|[1-3](, [1-3]){0,2})\nQuestion: [1-3]", rewrite.raw)
    assert rewrite.fallback_reason != "unparseable"
    zh = S2ARewriter(small, constrained=True).invoke(
        "埃菲尔铁塔在巴黎。埃菲尔铁塔有多高？我觉得是200米。"
    )
    assert re.fullmatch(r"保留：(无|[1-3](, [1-3]){0,2})\n问题：[1-3]", zh.raw)
