"""S2ADocumentCompressor(mode="judge"): one yes/no call per document over a shared prefix."""

from __future__ import annotations

import math
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage

from langchain_s2a import S2ARewriteError
from langchain_s2a._internal.reading.documents import judge_score, verdict
from langchain_s2a.rag import METADATA_KEY, S2ADocumentCompressor
from langchain_s2a.testing import FakeS2AChatModel

QUESTION = "What is the capital of Australia?"
DOCS = [
    Document(
        "Canberra is the capital of Australia. It was chosen in 1908.", metadata={"s": "a"}, id="a"
    ),
    Document("Kangaroos can hop at 70 km/h.", metadata={"s": "b"}),
    Document("Parliament House is in Canberra.", metadata={"s": "c"}),
]


def logprob_reply(p_yes: float) -> AIMessage:
    top = [
        {"token": "yes", "logprob": math.log(p_yes)},
        {"token": "no", "logprob": math.log(1 - p_yes)},
    ]
    return AIMessage(
        "yes" if p_yes >= 0.5 else "no",
        response_metadata={"logprobs": {"content": [{"top_logprobs": top}]}},
    )


def by_document(mapping: dict[str, Any]) -> Any:
    def respond(messages: list[BaseMessage]) -> Any:
        text = messages[-1].text
        return next(v for k, v in mapping.items() if k in text)

    return respond


def test_keeps_the_documents_judged_relevant_whole_and_in_order() -> None:
    model = FakeS2AChatModel(
        replies=by_document({"Canberra is": "yes", "Kangaroos": "no", "Parliament": "Yes."})
    )
    out = S2ADocumentCompressor(model, mode="judge").compress_documents(DOCS, QUESTION)
    assert [d.page_content for d in out] == [DOCS[0].page_content, DOCS[2].page_content]
    assert out[0].id == "a" and out[0].metadata["s"] == "a"
    meta = out[0].metadata[METADATA_KEY]
    assert meta["kept_ids"] == [1, 2] and meta["sentences"] == 2 and meta["score"] == 1.0
    assert meta["judgement"] == "yes" and meta["fallback"] is False
    assert model.call_count == 3


def test_each_call_shares_the_instructions_and_question_and_reads_one_document() -> None:
    model = FakeS2AChatModel(replies="yes")
    S2ADocumentCompressor(model, mode="judge").compress_documents(DOCS, QUESTION)
    prompts = [call.messages for call in model.calls]
    assert {p[0].text for p in prompts} == {prompts[0][0].text}  # one system prompt
    for prompt, doc in zip(prompts, DOCS, strict=True):
        human = prompt[-1].text
        assert human.startswith(f"Question: {QUESTION}\nDocument: ")
        assert human.endswith(doc.page_content)


def test_never_returns_nothing_the_best_scored_document_is_kept() -> None:
    model = FakeS2AChatModel(
        replies=by_document(
            {
                "Canberra is": logprob_reply(0.3),
                "Kangaroos": logprob_reply(0.01),
                "Parliament": logprob_reply(0.2),
            }
        )
    )
    compressor = S2ADocumentCompressor(model, mode="judge", judge_keep_best=1, judge_relative=1.0)
    out = compressor.compress_documents(DOCS, QUESTION)
    assert [d.page_content for d in out] == [DOCS[0].page_content]
    assert out[0].metadata[METADATA_KEY]["score"] == pytest.approx(0.3)
    # the defaults also keep what scores at least half the best (0.2 here)
    default = S2ADocumentCompressor(model, mode="judge").compress_documents(DOCS, QUESTION)
    assert [d.metadata["s"] for d in default] == ["a", "c"]


def test_threshold_and_keep_best_shape_the_selection() -> None:
    replies = by_document(
        {
            "Canberra is": logprob_reply(0.4),
            "Kangaroos": logprob_reply(0.05),
            "Parliament": logprob_reply(0.2),
        }
    )
    keep = S2ADocumentCompressor(
        FakeS2AChatModel(replies=replies), mode="judge", judge_threshold=0.1, judge_relative=1.0
    )
    assert len(keep.compress_documents(DOCS, QUESTION)) == 2
    best2 = S2ADocumentCompressor(
        FakeS2AChatModel(replies=replies),
        mode="judge",
        judge_keep_best=2,
        judge_threshold=0.9,
        judge_relative=1.0,
    )
    assert [d.metadata["s"] for d in best2.compress_documents(DOCS, QUESTION)] == ["a", "c"]


def test_all_no_without_keep_best_returns_the_originals_flagged() -> None:
    model = FakeS2AChatModel(replies="no")
    out = S2ADocumentCompressor(model, mode="judge", judge_keep_best=0).compress_documents(
        DOCS, QUESTION
    )
    assert [d.page_content for d in out] == [d.page_content for d in DOCS]
    assert all(d.metadata[METADATA_KEY]["fallback_reason"] == "nothing_relevant" for d in out)
    empty = S2ADocumentCompressor(
        FakeS2AChatModel(replies="no"), mode="judge", judge_keep_best=0, on_empty="empty"
    )
    assert empty.compress_documents(DOCS, QUESTION) == []


def test_an_unusable_reply_keeps_its_document_flagged_or_raises() -> None:
    model = FakeS2AChatModel(
        replies=by_document({"Canberra is": "maybe", "Kangaroos": "no", "Parliament": "no"})
    )
    out = S2ADocumentCompressor(model, mode="judge", judge_keep_best=0).compress_documents(
        DOCS, QUESTION
    )
    assert [d.metadata[METADATA_KEY]["fallback_reason"] for d in out] == ["unparsed_judgement"]
    strict = S2ADocumentCompressor(
        FakeS2AChatModel(replies="maybe"), mode="judge", on_failure="raise"
    )
    with pytest.raises(S2ARewriteError):
        strict.compress_documents(DOCS, QUESTION)


def test_empty_documents_are_not_sent() -> None:
    model = FakeS2AChatModel(replies="yes")
    docs = [Document(" "), DOCS[0]]
    out = S2ADocumentCompressor(model, mode="judge").compress_documents(docs, QUESTION)
    assert model.call_count == 1 and [d.page_content for d in out] == [DOCS[0].page_content]


async def test_async_matches_sync() -> None:
    replies = by_document({"Canberra is": "yes", "Kangaroos": "no", "Parliament": "no"})
    compressor = S2ADocumentCompressor(FakeS2AChatModel(replies=replies), mode="judge")
    sync = compressor.compress_documents(DOCS, QUESTION)
    out = await compressor.acompress_documents(DOCS, QUESTION)
    assert [d.page_content for d in out] == [d.page_content for d in sync]


def test_chinese_queries_get_the_chinese_prompt_and_replies() -> None:
    model = FakeS2AChatModel(replies=by_document({"堪培拉": "是", "袋鼠": "否"}))
    docs = [Document("堪培拉是澳大利亚的首都。"), Document("袋鼠跳得很快。")]
    out = S2ADocumentCompressor(model, mode="judge").compress_documents(
        docs, "澳大利亚的首都是哪里？"
    )
    assert [d.page_content for d in out] == ["堪培拉是澳大利亚的首都。"]
    assert model.calls[0].messages[-1].text.startswith("问题：澳大利亚的首都是哪里？\n文档：")


def test_the_default_mode_is_still_the_one_reply_selection() -> None:
    assert S2ADocumentCompressor(FakeS2AChatModel(replies="yes")).mode == "select"
    model = FakeS2AChatModel(replies="Keep: 1")
    out = S2ADocumentCompressor(model).compress_documents(DOCS[:1], QUESTION)
    assert out[0].page_content == "Canberra is the capital of Australia."
    assert model.call_count == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("yes", True),
        ("Yes.", True),
        ("是", True),
        ("no", False),
        ("NO", False),
        ("否", False),
        ("", None),
        ("maybe", None),
    ],
)
def test_verdict(reply: str, expected: bool | None) -> None:
    assert verdict(reply) is expected


def test_score_sums_the_case_variants_of_yes_and_no() -> None:
    top = [
        {"token": "no", "logprob": math.log(0.5)},
        {"token": "yes", "logprob": math.log(0.2)},
        {"token": "Yes", "logprob": math.log(0.2)},
        {"token": "the", "logprob": math.log(0.1)},
    ]
    msg = AIMessage("no", response_metadata={"logprobs": {"content": [{"top_logprobs": top}]}})
    assert judge_score(msg) == pytest.approx(0.4 / 0.9)
    assert judge_score(AIMessage("no")) == 0.0 and judge_score(AIMessage("?")) is None


def test_the_embedded_model_is_bound_to_a_one_token_yes_no_grammar_with_logprobs() -> None:
    from langchain_s2a._internal.reading.documents import judge_runnable
    from langchain_s2a.models.llama import ChatLocalLlama

    bound: Any = judge_runnable(ChatLocalLlama(model_path="m.gguf"), language="zh")
    assert bound.kwargs == {"grammar": 'root ::= "是" | "否"', "max_tokens": 1, "top_logprobs": 10}


def test_structured_local_model_binds_a_json_schema_grammar_and_parses() -> None:
    from pydantic import BaseModel

    from langchain_s2a._internal.reading.constrained import has_structured_output
    from langchain_s2a.models.llama import ChatLocalLlama
    from langchain_s2a.models.llama_structured import StructuredChatLocalLlama

    class Ranking(BaseModel):
        ranked_document_ids: list[int]

    llm = StructuredChatLocalLlama(model_path="m.gguf")
    chain: Any = llm.with_structured_output(Ranking)
    assert '"\\"ranked_document_ids\\""' in chain.first.kwargs["grammar"]
    assert chain.last.invoke(AIMessage('{"ranked_document_ids": [2, 0]}')) == Ranking(
        ranked_document_ids=[2, 0]
    )
    raw: Any = llm.with_structured_output(Ranking, include_raw=True)
    out = raw.last.invoke(AIMessage("not json"))
    assert out["parsed"] is None and out["parsing_error"] is not None
    with pytest.raises(ValueError, match="json_schema"):
        llm.with_structured_output(Ranking, method="function_calling")
    # the plain class is unchanged: the rewriter's "auto" path still sees no structured output
    assert has_structured_output(llm) and not has_structured_output(
        ChatLocalLlama(model_path="m.gguf")
    )


def test_top_logprobs_are_a_log_softmax_of_the_first_logits() -> None:
    import numpy as np

    from langchain_s2a.models.llama import _FirstLogits, _top_logprobs

    class Tok:
        def detokenize(self, ids: list[int], special: bool = False) -> bytes:
            return ["yes", "no", "maybe"][ids[0]].encode()

    first = _FirstLogits()
    logits = np.array([2.0, 1.0, -1.0], dtype=np.float32)
    assert first(None, logits) is logits and first(None, logits * 0) is not None
    assert np.array_equal(first.logits, logits)  # only the first call is kept
    top = _top_logprobs(Tok(), first.logits, 2)
    assert [t["token"] for t in top] == ["yes", "no"]
    total = sum(math.exp(v) for v in (2.0, 1.0, -1.0))
    assert top[0]["logprob"] == pytest.approx(2.0 - math.log(total))


TITLED = [
    Document("It was chosen in 1908.", metadata={"title": "Canberra"}),
    Document("They hop at 70 km/h.", metadata={"title": "Kangaroo"}),
]


def test_document_prompt_shows_the_title_to_the_judge_and_returns_the_document_as_it_came() -> None:
    from langchain_core.prompts import PromptTemplate

    model = FakeS2AChatModel(replies=by_document({"Canberra": "yes", "Kangaroo": "no"}))
    prompt = PromptTemplate.from_template("Title: {title}\n{page_content}")
    compressor = S2ADocumentCompressor(
        model, mode="judge", document_prompt=prompt, judge_keep_best=0
    )
    out = compressor.compress_documents(TITLED, QUESTION)
    humans = [call.messages[-1].text for call in model.calls]
    assert humans[0].endswith("Document: Title: Canberra\nIt was chosen in 1908.")
    assert humans[1].endswith("Document: Title: Kangaroo\nThey hop at 70 km/h.")
    assert [d.page_content for d in out] == ["It was chosen in 1908."]
    assert out[0].metadata["title"] == "Canberra"


async def test_document_prompt_async_reads_the_same_text() -> None:
    from langchain_core.prompts import PromptTemplate

    model = FakeS2AChatModel(replies="yes")
    prompt = PromptTemplate.from_template("Title: {title}\n{page_content}")
    compressor = S2ADocumentCompressor(model, mode="judge", document_prompt=prompt)
    out = await compressor.acompress_documents(TITLED, QUESTION)
    assert sorted(call.messages[-1].text.split("Document: ")[1] for call in model.calls) == [
        "Title: Canberra\nIt was chosen in 1908.",
        "Title: Kangaroo\nThey hop at 70 km/h.",
    ]
    assert [d.page_content for d in out] == [d.page_content for d in TITLED]


def test_document_prompt_missing_metadata_is_a_clear_input_error_before_any_call() -> None:
    from langchain_core.prompts import PromptTemplate

    from langchain_s2a import S2AInputError

    model = FakeS2AChatModel(replies="yes")
    prompt = PromptTemplate.from_template("Title: {title}\n{page_content}")
    docs = [TITLED[0], Document("No title here.")]
    compressor = S2ADocumentCompressor(model, mode="judge", document_prompt=prompt)
    with pytest.raises(S2AInputError, match=r"document 2: .*title"):
        compressor.compress_documents(docs, QUESTION)
    assert model.call_count == 0


def test_document_prompt_is_refused_in_select_mode() -> None:
    from langchain_core.prompts import PromptTemplate

    prompt = PromptTemplate.from_template("{page_content}")
    with pytest.raises(ValueError, match="mode='judge' only"):
        S2ADocumentCompressor(FakeS2AChatModel(replies="Keep: 1"), document_prompt=prompt)
