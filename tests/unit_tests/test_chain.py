from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tracers.context import collect_runs
from langgraph.constants import TAG_NOSTREAM

from langchain_s2a import S2AResultChunk, S2ARewriteError, create_s2a_chain
from tests.fakes import FakeChat, fake

OPINION = "Who wrote Hamlet? I think the answer is Christopher Marlowe but I'm really not sure."
GOOD = "Context: none\nQuestion: Who wrote Hamlet?"


def answer_prompt(model: FakeChat) -> str:
    return model.answer_calls[-1].messages[-1].text


def test_s2a_answers_from_rewrite_alone() -> None:
    model = fake(GOOD, "William Shakespeare wrote it.")
    result = create_s2a_chain(model, variant="split").invoke(OPINION)
    assert result.answer == "William Shakespeare wrote it."
    assert result.rewrite.question == "Who wrote Hamlet?"
    prompt = answer_prompt(model)
    assert "Marlowe" not in prompt  # the opinion never reaches the answer step
    assert prompt.startswith("Who wrote Hamlet?")
    assert "unbiased" in prompt
    assert result.usage["rewrite"] is not None and result.usage["answer"] is not None
    assert result.answer_latency_s is not None


def test_separate_rewriter_model() -> None:
    rewriter, answerer = fake(GOOD), fake(None, "Shakespeare")
    result = create_s2a_chain(answerer, rewriter_model=rewriter, variant="split").invoke(OPINION)
    assert result.answer == "Shakespeare"
    assert len(rewriter.calls) == 1 and rewriter.answer_calls == []
    assert len(answerer.calls) == 1 and answerer.rewrite_calls == []


def test_keep_original_shows_both() -> None:
    model = fake(GOOD)
    create_s2a_chain(model, keep_original=True, variant="split").invoke(OPINION)
    prompt = answer_prompt(model)
    assert OPINION in prompt and "Rewritten text" in prompt and "Who wrote Hamlet?" in prompt


def test_not_instructed_has_no_instruction() -> None:
    model = fake(GOOD)
    create_s2a_chain(model, instructed=False, variant="split").invoke(OPINION)
    assert answer_prompt(model) == "Who wrote Hamlet?"


def test_instructed_mode_skips_rewrite() -> None:
    model = fake(GOOD)
    result = create_s2a_chain(model, mode="instructed", variant="split").invoke(OPINION)
    assert model.rewrite_calls == []
    assert answer_prompt(model).startswith(OPINION) and "unbiased" in answer_prompt(model)
    assert result.rewrite.variant == "none" and result.rewrite.text == OPINION


def test_baseline_mode_sends_original() -> None:
    model = fake(GOOD)
    result = create_s2a_chain(model, mode="baseline", variant="split").invoke(OPINION)
    assert answer_prompt(model) == OPINION
    assert result.mode == "baseline" and len(model.calls) == 1


def test_relevance_preset_and_answer_format() -> None:
    model = fake("Context: Luke has 3 stars.\nQuestion: How many stars does Luke have?")
    create_s2a_chain(
        model, preset="relevance", answer_format="End with 'Final answer: N'.", variant="split"
    ).invoke("Luke has 3 stars. Tom is 80. How many stars does Luke have?")
    prompt = answer_prompt(model)
    assert "Tom" not in prompt
    assert prompt.startswith("Context: Luke has 3 stars.")
    assert prompt.endswith("End with 'Final answer: N'.")


def test_fallback_answers_from_original() -> None:
    model = fake("garbage with no labels")
    result = create_s2a_chain(model, variant="split").invoke(OPINION)
    assert result.rewrite.fallback and result.rewrite.fallback_reason == "unparseable"
    assert answer_prompt(model).startswith(OPINION)


def test_raise_mode() -> None:
    model = fake("")
    with pytest.raises(S2ARewriteError):
        create_s2a_chain(model, on_failure="raise", variant="split").invoke(OPINION)
    assert model.answer_calls == []


def test_chat_history_is_kept_and_last_turn_replaced() -> None:
    model = fake(GOOD)
    create_s2a_chain(model, variant="split").invoke(
        [SystemMessage("Be brief."), HumanMessage(OPINION)]
    )
    sent = model.answer_calls[0].messages
    assert sent[0].text == "Be brief." and sent[-1].text.startswith("Who wrote Hamlet?")


def test_stream_yields_rewrite_then_tokens() -> None:
    model = fake(GOOD, "William Shakespeare wrote Hamlet")
    chunks = list(create_s2a_chain(model, variant="split").stream(OPINION))
    assert isinstance(chunks[0], S2AResultChunk) and chunks[0].rewrite is not None
    tokens = [c.answer for c in chunks[1:] if c.answer]
    assert len(tokens) == 4
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    result = total.to_result()
    assert result.answer == "William Shakespeare wrote Hamlet"
    assert result.message.usage_metadata is not None
    assert model.answer_calls[0].streamed


async def test_astream_matches_invoke() -> None:
    chunks = [
        c async for c in create_s2a_chain(fake(GOOD, "A B C"), variant="split").astream(OPINION)
    ]
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    streamed = total.to_result()
    invoked = await create_s2a_chain(fake(GOOD, "A B C"), variant="split").ainvoke(OPINION)
    assert streamed.answer == invoked.answer == "A B C"
    assert streamed.rewrite.model_dump(exclude={"latency_s"}) == invoked.rewrite.model_dump(
        exclude={"latency_s"}
    )


async def test_astream_events_shows_stages() -> None:
    events = [
        e
        async for e in create_s2a_chain(fake(GOOD, "A B C"), variant="split").astream_events(
            OPINION, version="v2"
        )
    ]
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert [e["name"] for e in custom] == ["s2a_rewrite"]
    tokens = [
        e["data"]["chunk"].text
        for e in events
        if e["event"] == "on_chat_model_stream" and e["name"] == "s2a_answer"
    ]
    assert "".join(tokens) == "A B C"
    starts = [e["name"] for e in events if e["event"].endswith("_start")]
    assert starts[:2] == ["s2a", "s2a_rewrite"] and "s2a_answer" in starts
    # the custom event arrives before the first answer token
    first_token = next(
        i
        for i, e in enumerate(events)
        if e["event"] == "on_chat_model_stream" and e["name"] == "s2a_answer"
    )
    assert events.index(custom[0]) < first_token


def test_run_names_and_config_propagation() -> None:
    model = fake(GOOD)
    with collect_runs() as cb:
        create_s2a_chain(model, variant="split").invoke(
            OPINION, config={"tags": ["mytag"], "metadata": {"user": "u1"}}
        )
    root = cb.traced_runs[0]
    assert root.name == "s2a"
    child_names = [r.name for r in root.child_runs]
    assert child_names == ["s2a_rewrite", "s2a_answer"]
    assert all("mytag" in c.tags for c in model.calls)
    assert all(c.metadata.get("user") == "u1" for c in model.calls)


async def test_batch_parity_and_concurrency() -> None:
    def respond(messages: list[Any]) -> str:
        text = messages[-1].text
        if "<user_text>" in text:
            q = text.split("<user_text>\n")[1].split(" I think")[0]
            return f"Context: none\nQuestion: {q}"
        return "answer to " + text.split("\n")[0]

    inputs = [f"What is item {i}? I think it is {i + 1}." for i in range(10)]
    sync_out = create_s2a_chain(FakeChat(respond=respond), variant="split").batch(
        inputs, config={"max_concurrency": 2}
    )
    model = FakeChat(respond=respond, delay=0.01)
    async_out = await create_s2a_chain(model, variant="split").abatch(
        inputs, config={"max_concurrency": 4}
    )
    assert [r.answer for r in sync_out] == [r.answer for r in async_out]
    assert async_out[3].answer == "answer to What is item 3?"
    assert model.peak_in_flight == 4


async def test_abatch_return_exceptions_accounts_for_every_input() -> None:
    inputs = ["Who wrote Hamlet?", "", "Who painted the Mona Lisa?"]
    out = await create_s2a_chain(fake(GOOD), variant="split").abatch(inputs, return_exceptions=True)
    assert len(out) == 3
    assert isinstance(out[1], ValueError)
    assert not isinstance(out[0], Exception) and not isinstance(out[2], Exception)


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"timeout": 0}, "timeout"), ({"max_attempts": 0}, "max_attempts")]
)
def test_bad_call_options_fail_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_s2a_chain(fake(GOOD), **kwargs)


async def test_astream_events_token_stream_holds_only_answer_tokens() -> None:
    # A UI streaming chat-model tokens skips runs tagged nostream, as LangGraph's
    # messages mode does: it must see the answer's tokens and nothing of the rewrite.
    chain = create_s2a_chain(fake(GOOD, "William Shakespeare wrote it"))
    events = [e async for e in chain.astream_events(OPINION, version="v2")]
    streamed = [e for e in events if e["event"] == "on_chat_model_stream"]
    shown = [e for e in streamed if TAG_NOSTREAM not in e.get("tags", [])]
    assert "".join(e["data"]["chunk"].text for e in shown) == "William Shakespeare wrote it"
    assert {e["name"] for e in shown} == {"s2a_answer"}
    hidden = [e for e in streamed if TAG_NOSTREAM in e.get("tags", [])]
    assert "".join(e["data"]["chunk"].text for e in hidden) == GOOD  # the rewrite did stream
    assert {e["name"] for e in hidden} == {"s2a_rewrite"}
    model_starts = [e["name"] for e in events if e["event"] == "on_chat_model_start"]
    assert model_starts == ["s2a_rewrite", "s2a_answer"]


def test_rewrite_model_run_is_named_and_kept_out_of_token_streams() -> None:
    model = fake(GOOD)
    with collect_runs() as cb:
        create_s2a_chain(model).invoke(OPINION, config={"tags": ["mytag"]})
    rewrite_run, answer_run = cb.traced_runs[0].child_runs
    (rewrite_model_run,) = rewrite_run.child_runs
    assert rewrite_model_run.name == "s2a_rewrite" and rewrite_model_run.run_type == "llm"
    assert TAG_NOSTREAM in rewrite_model_run.tags and "mytag" in rewrite_model_run.tags
    assert answer_run.name == "s2a_answer" and TAG_NOSTREAM not in answer_run.tags


# ------------------------------------------------------------- content blocks
TOM = "Tom has 3 apples. I think the answer is 5. How many apples does Tom have?"
TOM_KEEP = "Keep: 1\nQuestion: 3"  # the extractive default's reply
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/apples.png"}}
AUDIO = {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}


def test_content_block_list_rewrites_text_and_passes_other_blocks_in_order() -> None:
    model = fake(TOM_KEEP, "3")
    blocks = [IMAGE, {"type": "text", "text": TOM}, AUDIO]
    result = create_s2a_chain(model).invoke(blocks)
    assert result.answer == "3" and result.rewrite.original == TOM
    (turn,) = model.answer_calls[0].messages
    assert turn.type == "human"
    assert turn.content == [
        IMAGE,
        {"type": "text", "text": "Tom has 3 apples. How many apples does Tom have?"},
        AUDIO,
    ]
    # the rewriter is shown the text only
    sent = "\n".join(m.text for m in model.rewrite_calls[0].messages)
    assert "apples.png" not in sent and "UklGRg" not in sent and "answer is 5" in sent


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda blocks: {"input": blocks}, id="dict"),
        pytest.param(lambda blocks: [SystemMessage("Be brief."), HumanMessage(blocks)], id="msgs"),
        pytest.param(lambda blocks: [{"role": "user", "content": blocks}], id="role-dict"),
        pytest.param(lambda blocks: [{"type": "human", "content": blocks}], id="type-dict"),
    ],
)
def test_content_blocks_in_a_dict_or_a_human_message(wrap: Any) -> None:
    model = fake(TOM_KEEP, "3")
    create_s2a_chain(model).invoke(wrap([{"type": "text", "text": TOM}, IMAGE]))
    turn = model.answer_calls[0].messages[-1]
    assert turn.content[1] == IMAGE and "answer is 5" not in turn.text


@pytest.mark.parametrize("mode", ["instructed", "baseline"])
def test_content_blocks_reach_the_model_in_every_mode(mode: str) -> None:
    model = fake(None, "3")
    create_s2a_chain(model, mode=mode).invoke([{"type": "text", "text": TOM}, IMAGE])  # type: ignore[arg-type]
    assert model.rewrite_calls == []
    assert model.answer_calls[0].messages[-1].content[1] == IMAGE


async def test_content_blocks_when_streamed() -> None:
    model = fake(TOM_KEEP, "three apples")
    chain = create_s2a_chain(model)
    blocks = [{"type": "text", "text": TOM}, IMAGE]
    chunks = list(chain.stream(blocks))
    assert chunks[0].rewrite is not None and chunks[0].rewrite.original == TOM
    total = [c async for c in chain.astream(blocks)]
    assert "".join(c.answer or "" for c in total) == "three apples"
    for call in model.answer_calls:
        assert call.messages[-1].content[1] == IMAGE


def test_image_only_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="nothing to rewrite"):
        create_s2a_chain(fake(TOM_KEEP)).invoke([IMAGE])


@pytest.mark.parametrize("how", ["or", "pipe"])
def test_piping_into_an_output_parser_says_what_the_chain_returns(how: str) -> None:
    """Issue 23 item 8: not a pydantic error about Generation.text when it runs."""
    from langchain_core.output_parsers import JsonOutputParser, StrOutputParser

    chain = create_s2a_chain(fake(GOOD, "Shakespeare"))
    for parser in (StrOutputParser(), JsonOutputParser()):
        with pytest.raises(TypeError, match=r"returns an S2AResult.*\.answer.*S2AChatModel") as err:
            chain | parser if how == "or" else chain.pipe(parser)
        assert "\n" not in str(err.value)
    answer = chain | (lambda result: result.answer)  # what the message points to
    assert answer.invoke(OPINION) == "Shakespeare"
