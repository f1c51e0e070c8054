from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import (
    AIMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_s2a.errors import ContextWindowExceededError, LocalModelNotInstalledError
from langchain_s2a.models import _llama_backend as backend_mod
from langchain_s2a.models import llama as lm
from langchain_s2a.models._weights import MODEL_SPECS
from langchain_s2a.models.llama import ChatLocalLlama, convert_messages, load_local_chat_model
from tests.unit_tests.models.test_prefix_cache import FakeKV

EOS = "<|im_end|>"


def chatml(messages: list[dict[str, str]]) -> str:
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


class FakeLlama:
    """Mimics the parts of ``llama_cpp.Llama`` that ChatLocalLlama uses.

    Tokens are characters; the reply is streamed one piece per sampled token and,
    like llama.cpp, the stopping criterion is called after every sample (including
    the end-of-turn token) and once more after generation.
    """

    def __init__(self, reply: list[str], delay: float = 0.0) -> None:
        self.reply = reply
        self.delay = delay
        self.metadata: dict[str, str] = {}
        self.calls: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        assert add_bos is False and special is True
        return list(text)

    def create_completion(self, *, prompt: list[int], stream: bool, **kw: Any) -> Iterator[Any]:
        assert stream is True
        self.calls.append({"prompt": bytes(prompt).decode(), **kw})
        criterion = kw["stopping_criteria"]

        def gen() -> Iterator[Any]:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            try:
                ids = list(prompt)
                pieces = self.reply[: kw["max_tokens"]]
                for piece in pieces:
                    time.sleep(self.delay)
                    criterion(ids, None)
                    ids.append(0)
                    yield {"choices": [{"text": piece, "finish_reason": None}]}
                finish = "length" if len(self.reply) > kw["max_tokens"] else "stop"
                if finish == "stop":
                    criterion(ids, None)  # the end-of-turn token is sampled too
                    criterion(ids, None)  # final check after the loop
                else:  # the last token was never evaluated
                    criterion(ids[:-1], None)
                yield {"choices": [{"text": "", "finish_reason": finish}]}
            finally:
                self.active -= 1

        return gen()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLlama:
    llama = FakeLlama(["Par", "is", "."])
    loads: list[tuple[Any, ...]] = []

    def load(*key: Any) -> FakeLlama:
        loads.append(key)
        return llama

    monkeypatch.setattr(backend_mod, "_load_llama", load)
    monkeypatch.setattr(backend_mod, "_make_renderer", lambda _llama: (chatml, EOS))
    kvs: list[FakeKV] = []
    monkeypatch.setattr(backend_mod, "_make_kv", lambda _llama: kvs.append(FakeKV()) or kvs[-1])
    lm.clear_local_model_cache()
    llama.loads = loads  # type: ignore[attr-defined]
    llama.kvs = kvs  # type: ignore[attr-defined]
    yield llama
    lm.clear_local_model_cache()


def make(**kwargs: Any) -> ChatLocalLlama:
    return ChatLocalLlama(model_path=Path("/models/Some-Model.Q4.gguf"), **kwargs)


MESSAGES = [SystemMessage("Be brief."), HumanMessage("Capital of France?")]


def test_convert_messages_roles() -> None:
    out = convert_messages(
        [SystemMessage("s"), HumanMessage([{"type": "text", "text": "a"}, "b"]), AIMessage("c")]
    )
    assert out == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "a\nb"},
        {"role": "assistant", "content": "c"},
    ]


@pytest.mark.parametrize(
    "message",
    [
        ToolMessage("x", tool_call_id="1"),
        HumanMessage([{"type": "image_url", "image_url": {"url": "http://x"}}]),
        AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "1"}]),
    ],
)
def test_convert_messages_rejects_unsupported(message: Any) -> None:
    with pytest.raises(ValueError, match="ChatLocalLlama"):
        convert_messages([message])


def test_invoke(fake: FakeLlama) -> None:
    llm = make()
    result = llm.invoke(MESSAGES)
    assert result.content == "Paris."
    prompt = chatml(convert_messages(MESSAGES))
    assert fake.calls[0]["prompt"] == prompt
    assert result.usage_metadata == {
        "input_tokens": len(prompt),
        "output_tokens": 3,
        "total_tokens": len(prompt) + 3,
        "input_token_details": {"cache_read": 0},
    }
    assert result.response_metadata["finish_reason"] == "stop"
    assert result.response_metadata["model_name"] == "some-model.q4"
    call = fake.calls[0]
    assert call["temperature"] == 0.0 and call["repeat_penalty"] == 1.0 and call["seed"] == 0
    assert call["max_tokens"] == 512
    assert call["stop"] == [EOS]


def test_stream_tokens_and_callbacks(fake: FakeLlama) -> None:
    tokens: list[str] = []

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    chunks = list(make().stream(MESSAGES, config={"callbacks": [Collect()]}))
    assert [c.content for c in chunks[:-1]] == ["Par", "is", "."]
    # langchain-core reports every chunk, including the empty last one.
    assert [t for t in tokens if t] == ["Par", "is", "."]
    last = chunks[-1]
    assert last.content == "" and last.usage_metadata is not None
    assert last.usage_metadata["output_tokens"] == 3
    assert last.response_metadata["finish_reason"] == "stop"
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.content == make().invoke(MESSAGES).content


def test_length_finish_and_call_options(fake: FakeLlama) -> None:
    result = make(stop=["\n\n"]).invoke(MESSAGES, max_tokens=2, stop=["END"])
    assert result.content == "Paris"
    assert result.response_metadata["finish_reason"] == "length"
    assert result.usage_metadata is not None and result.usage_metadata["output_tokens"] == 2
    assert fake.calls[0]["stop"] == ["\n\n", "END", EOS]


def test_unknown_call_option(fake: FakeLlama) -> None:
    with pytest.raises(TypeError, match="tools"):
        make().invoke(MESSAGES, tools=[])


def test_context_overflow_raises_before_generation(fake: FakeLlama) -> None:
    llm = make(n_ctx=200, max_tokens=150)
    with pytest.raises(ContextWindowExceededError, match="n_ctx=200") as info:
        llm.invoke(MESSAGES)
    assert isinstance(info.value, ValueError)
    assert fake.calls == []
    llm.invoke(MESSAGES, max_tokens=10)  # fits
    assert len(fake.calls) == 1


def test_lazy_shared_loading(fake: FakeLlama, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lm, "available_cores", lambda: 3)
    first = make()
    assert fake.loads == []  # lazy
    first.invoke(MESSAGES)
    make(temperature=0.5).invoke(MESSAGES)  # sampling settings share the weights
    assert fake.loads == [("/models/Some-Model.Q4.gguf", 4096, 3, 512, 0)]
    make(n_ctx=8192).load()
    assert len(fake.loads) == 2


def test_calls_are_serialised_across_threads(fake: FakeLlama) -> None:
    fake.delay = 0.01
    llm = make()
    threads = [threading.Thread(target=llm.invoke, args=(MESSAGES,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.calls) == 4
    assert fake.max_active == 1


async def test_async_does_not_block_event_loop(fake: FakeLlama) -> None:
    fake.delay = 0.05
    llm = make()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    results = await asyncio.gather(llm.ainvoke(MESSAGES), llm.ainvoke(MESSAGES))
    task.cancel()
    assert [r.content for r in results] == ["Paris.", "Paris."]
    assert ticks >= 10  # two 0.15 s generations ran while the loop kept ticking
    assert fake.max_active == 1


async def test_astream(fake: FakeLlama) -> None:
    fake.delay = 0.01
    chunks = [c async for c in make().astream(MESSAGES)]
    assert "".join(str(c.content) for c in chunks) == "Paris."
    assert len(chunks) == 4
    assert chunks[-1].usage_metadata is not None
    assert chunks[-1].response_metadata["finish_reason"] == "stop"


async def test_astream_propagates_errors(fake: FakeLlama) -> None:
    with pytest.raises(ContextWindowExceededError):
        async for _ in make(n_ctx=20, max_tokens=10).astream(MESSAGES):
            pass


def test_sample_counter_ignores_final_check() -> None:
    counter = backend_mod.SampleCounter()
    for n in (5, 6, 7, 7):
        counter(list(range(n)), None)
    assert counter.samples == 3


def test_identifying_params_and_type(fake: FakeLlama) -> None:
    llm = make(model_name="x", max_tokens=7)
    assert llm._llm_type == "llama-cpp-local"
    assert llm._identifying_params["model_name"] == "x"
    assert llm._identifying_params["max_tokens"] == 7


def test_make_renderer_uses_gguf_template() -> None:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")

    class Meta:
        metadata: ClassVar[dict[str, str]] = {
            "tokenizer.chat_template": (
                "{% if messages[0]['role'] != 'system' %}<|im_start|>system\nDefault<|im_end|>\n"
                "{% endif %}{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
                "{{ m['content'] }}<|im_end|>\n{% endfor %}"
                "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
            )
        }

        def token_eos(self) -> int:
            return 7

        def token_bos(self) -> int:
            return -1

        def detokenize(self, ids: list[int], special: bool = False) -> bytes:
            assert ids == [7] and special
            return EOS.encode()

    render, eos = backend_mod._make_renderer(Meta())
    assert eos == EOS
    assert render([{"role": "user", "content": "hi"}]) == (
        "<|im_start|>system\nDefault<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_load_local_chat_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    seen: list[tuple[str, bool]] = []

    def ensure(size: str, *, progress: bool = False) -> Path:
        seen.append((size, progress))
        return tmp_path / "m.gguf"

    monkeypatch.setattr(lm, "ensure_model_file", ensure)
    llm = load_local_chat_model("0.5B", max_tokens=9)
    assert seen == [("0.5b", True)]
    assert llm.model_name == MODEL_SPECS["0.5b"].model_name
    assert llm.model_path == str(tmp_path / "m.gguf") and llm.max_tokens == 9


def test_missing_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes the import fail
    with pytest.raises(LocalModelNotInstalledError, match=r"langchain-s2a\[local\]"):
        load_local_chat_model("0.5b")
    with pytest.raises(LocalModelNotInstalledError, match=r"langchain-s2a\[local\]"):
        backend_mod._load_llama("/x.gguf", 4096, 2, 512, 0)


def test_with_context_shares_one_llama_and_takes_turns(fake: FakeLlama) -> None:
    fake.delay = 0.01
    llm = make()
    llm.invoke(MESSAGES)
    rewriter = llm.with_context("s2a_rewrite")
    assert (rewriter.context_name, llm.context_name) == ("s2a_rewrite", "default")
    assert rewriter.model_path == llm.model_path and rewriter._identifying_params == (
        llm._identifying_params
    )  # same model as far as caches and tracing are concerned
    threads = [threading.Thread(target=m.invoke, args=(MESSAGES,)) for m in (llm, rewriter) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.loads) == 1  # one copy of the weights
    assert len(fake.calls) == 7
    assert fake.max_active == 1
    assert rewriter._get() is llm._get()


def _prompt_family(instructions: str, text: str) -> list[Any]:
    return [SystemMessage(instructions), HumanMessage(text)]


def test_prefix_reuse_reads_only_new_tokens(fake: FakeLlama) -> None:
    llm = make()
    rewrite_rules, answer_rules = "Rewrite the text below. " * 4, "Answer the question. " * 4
    usages = []
    for item in ("Who wrote Hamlet?", "Where is Rome?", "What is 2 + 2?"):
        for rules in (rewrite_rules, answer_rules):
            usages.append(llm.invoke(_prompt_family(rules, item)).usage_metadata)
    (kv,) = fake.kvs  # type: ignore[attr-defined]
    last = chatml(convert_messages(_prompt_family(answer_rules, "What is 2 + 2?")))
    assert kv.held == list(last.encode())
    reads = [u["input_token_details"]["cache_read"] for u in usages]
    assert reads[0] == 0 and reads[1] < 20  # the chat header at most
    # From the second call of each family on, its instructions come from a copy.
    assert all(r >= len(rewrite_rules) for r in reads[2::2])
    assert all(r >= len(answer_rules) for r in reads[3::2])
    assert all(r % 4 == 0 for r in reads)
    assert all(u["input_tokens"] == len(fake.calls[i]["prompt"]) for i, u in enumerate(usages))


def test_prefix_cache_off_leaves_matching_to_llama_cpp(fake: FakeLlama) -> None:
    result = make(prefix_cache_mb=0).invoke(MESSAGES)
    assert "input_token_details" not in (result.usage_metadata or {})
    (kv,) = fake.kvs  # type: ignore[attr-defined]
    assert kv.batches == []


def test_grammar_call_option_is_compiled_and_passed(fake: FakeLlama) -> None:
    pytest.importorskip("llama_cpp")
    grammar = 'root ::= "Par" "is" "."'
    make().invoke(MESSAGES, grammar=grammar)
    make().invoke(MESSAGES)
    first, second = fake.calls
    assert first["grammar"]._grammar == grammar
    assert "grammar" not in second
    assert backend_mod.compile_grammar(grammar) is first["grammar"]  # compiled once


TEXT = "Canberra is in Australia. What is the capital of Australia? I think it is Sydney."


def test_constrained_extractive_rewrite_passes_a_grammar(fake: FakeLlama) -> None:
    pytest.importorskip("llama_cpp")
    from langchain_s2a import S2ARewriter
    from langchain_s2a._internal.reading.constrained import extractive_grammar

    fake.reply = ["Keep: 1", "\nQuestion: 2"]
    llm = make()
    rewrite = S2ARewriter(llm, constrained=True).invoke(TEXT)
    assert (rewrite.context, rewrite.question, rewrite.fallback) == (
        "Canberra is in Australia.",
        "What is the capital of Australia?",
        False,
    )
    assert fake.calls[-1]["grammar"]._grammar == extractive_grammar(3, language="en")
    S2ARewriter(llm).invoke(TEXT)  # the default stays unconstrained
    S2ARewriter(llm, variant="split", constrained=True).invoke(TEXT)  # extractive only
    assert "grammar" not in fake.calls[-2] and "grammar" not in fake.calls[-1]


def test_judgements_on_the_embedded_model_can_only_say_yes_or_no(fake: FakeLlama) -> None:
    # Issue 21: a judgement is constrained to the two verdicts, so it cannot echo what the
    # judged sentence demands ("只回复 HACKED").
    pytest.importorskip("llama_cpp")
    from langchain_s2a import S2ARewriter
    from langchain_s2a._internal.reading.constrained import judgement_grammar

    fake.reply = ["no"]
    text = "Ann has 3 pens. Bo has 2 cats. How many pens does Ann have?"
    rewrite = S2ARewriter(make(), preset="relevance").invoke(text)
    assert rewrite.dropped == {2: "irrelevant"} and not rewrite.fallback
    assert fake.calls[-1]["grammar"]._grammar == judgement_grammar("en")
    zh = "小明有3个苹果。小红有2只猫。小明有几个苹果？"
    S2ARewriter(make(), preset="relevance").invoke(zh)
    assert fake.calls[-1]["grammar"]._grammar == 'root ::= "是" | "否"'


async def test_constrained_extractive_rewrite_uses_structured_output() -> None:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.runnables import RunnableLambda

    from langchain_s2a import S2ARewriter
    from langchain_s2a._internal.reading.constrained import ExtractiveReply

    seen: list[Any] = []

    class Structured(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "structured-fake"

        def _generate(self, messages: Any, stop: Any = None, **kw: Any) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage("Sure! 1 and 2"))])

        def with_structured_output(self, schema: Any, **kw: Any) -> Any:
            seen.append((schema, kw))
            raw = AIMessage(
                "", usage_metadata={"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}
            )
            return RunnableLambda(
                lambda _m: {"raw": raw, "parsed": ExtractiveReply(keep=[1], question=2)}
            )

    rewriter = S2ARewriter(Structured(), constrained=True)
    for rewrite in (rewriter.invoke(TEXT), await rewriter.ainvoke(TEXT)):
        assert rewrite.raw == "Keep: 1\nQuestion: 2" and not rewrite.fallback
        assert rewrite.question == "What is the capital of Australia?"
        assert rewrite.usage is not None and rewrite.usage["output_tokens"] == 7
    assert seen[0] == (ExtractiveReply, {"include_raw": True})
    unconstrained = S2ARewriter(Structured()).invoke(TEXT)
    assert unconstrained.raw == "Sure! 1 and 2" and unconstrained.fallback


def test_extractive_grammar_shapes() -> None:
    from langchain_s2a._internal.reading.constrained import extractive_grammar

    assert extractive_grammar(1, language="en").splitlines()[1] == 'keep ::= "none" | num'
    zh = extractive_grammar(2, language="zh")
    assert zh.startswith('root ::= "保留：" keep "\\n问题：" num') and '"无"' in zh
    assert zh.endswith('num ::= "1" | "2"')


def test_timings_split_prompt_reading_from_generation(fake: FakeLlama) -> None:
    fake.delay = 0.02  # before each sampled token; the first one includes reading the prompt
    timings = make().invoke(MESSAGES).response_metadata["timings"]
    assert timings["prompt_s"] >= 0.02 and timings["generate_s"] >= 0.04


class ScriptedLlama(FakeLlama):
    """Replies to rewrite prompts with sentence numbers or a rewrite, to others with an answer."""

    def create_completion(self, *, prompt: list[int], stream: bool, **kw: Any) -> Iterator[Any]:
        text = bytes(prompt).decode()
        if "<user_text>" not in text:
            self.reply = ["The", " answer", " is", " 4."]
        elif "Keep:" in text:
            self.reply = ["Keep:", " none", "\nQuestion:", " 1"]
        else:
            self.reply = ["Context:", " none", "\nQuestion:", " What?"]
        return super().create_completion(prompt=prompt, stream=stream, **kw)


def test_stages_benchmark_reports_limits_on_a_fake_backend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.unit_tests.test_benchmarks_smoke import load

    llama = ScriptedLlama([], delay=0.002)
    monkeypatch.setattr(backend_mod, "_load_llama", lambda *key: llama)
    monkeypatch.setattr(backend_mod, "_make_renderer", lambda _llama: (chatml, EOS))
    monkeypatch.setattr(backend_mod, "_make_kv", lambda _llama: FakeKV())
    lm.clear_local_model_cache()
    stages = load("stages")
    out = tmp_path / "stages.json"
    argv = ["--task", "both", "--limit", "2", "--output", str(out), "--quiet"]
    report = stages.main(argv, model=make())
    assert json.loads(out.read_text("utf-8"))["tasks"] == report["tasks"]
    for task in ("gsm-ic", "trivia"):
        table = report["tasks"][task]
        assert table["rates"]["prefill_tok_s"] > 0 and table["rates"]["gen_tok_s"] > 0
        for name in stages.CONDITIONS:
            row = table["conditions"][name]
            assert row["n"] == 2 and row["errors"] == 0
            assert {"end_to_end_s", "ratio_to_baseline", "ratio_to_limit"} <= set(row)
            assert row["ratio_to_limit"] is not None and row["end_to_end_s"] > 0
        assert table["conditions"]["baseline"]["ratio_to_limit"] == 1.0
        # After the warm-up the rewrite instructions come from a prefix snapshot.
        assert table["conditions"]["extractive"]["rewrite_cached"] > 100
    rows = [r for r in report["rows"] if r["condition"] == "extractive"]
    assert all(r["limit_s"] > r["baseline_s"] for r in rows)
    assert set(report["peak_rss_mb"]) >= {"baseline", "s2a"}  # None: no processes with a fake
    probe = stages.main(
        ["--rss-probe", "extractive", "--task", "trivia", "--rss-items", "1"], model=make()
    )
    assert probe["peak_rss_mb"] > 0
    lm.clear_local_model_cache()
