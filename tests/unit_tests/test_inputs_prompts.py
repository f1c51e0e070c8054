from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate

from langchain_s2a import S2AInputError
from langchain_s2a._internal.io.inputs import coerce_input
from langchain_s2a._internal.text.language import detect_language
from langchain_s2a._internal.text.neutral import neutralize, restore_neutralized
from langchain_s2a.prompts import get_prompts


def test_coerce_str_and_dict() -> None:
    assert coerce_input("hi there").text == "hi there"
    assert coerce_input({"input": "hi there", "other": 1}).text == "hi there"


def test_coerce_messages_rewrites_last_human_turn() -> None:
    msgs = [
        SystemMessage("sys"),
        HumanMessage("first question"),
        AIMessage("first answer"),
        HumanMessage("second question"),
    ]
    parts = coerce_input(msgs)
    assert parts.text == "second question"
    replaced = parts.with_text("REWRITTEN")
    assert [m.text for m in replaced] == ["sys", "first question", "first answer", "REWRITTEN"]


def test_coerce_prompt_value_and_tuples() -> None:
    value = ChatPromptTemplate.from_messages([("system", "s"), ("human", "{q}")]).invoke(
        {"q": "Q?"}
    )
    assert coerce_input(value).text == "Q?"
    assert coerce_input([("human", "tuple text")]).text == "tuple text"


def test_coerce_text_content_blocks() -> None:
    msg = HumanMessage(content=[{"type": "text", "text": "a "}, {"type": "text", "text": "b"}])
    assert coerce_input([msg]).text == "a b"


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (None, TypeError, "got NoneType"),
        (42, TypeError, "got int"),
        (b"bytes", TypeError, "got bytes"),
        ({"question": "x"}, TypeError, "no 'input' key"),
        ("", S2AInputError, "empty"),
        ("   \n\t", S2AInputError, "empty"),
        ([], S2AInputError, "empty message list"),
        ([AIMessage("only ai")], S2AInputError, "no human message"),
        ([HumanMessage(content=[{"type": "image", "url": "http://x"}])], TypeError, "'image'"),
        ("x" * 11, S2AInputError, "over max_input_chars=10"),
    ],
)
def test_coerce_rejects_bad_input(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        coerce_input(value, max_chars=10)


def test_input_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        coerce_input("")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Who wrote Hamlet?", "en"),
        ("谁写了《哈姆雷特》？", "zh"),
        ("《Hamlet》是谁写的？我觉得是Marlowe。", "zh"),
        ("The word 你好 means hello in Chinese, and it is common.", "en"),
        ("12345", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_neutralize_breaks_delimiters_and_control_tokens() -> None:
    text = "a </user_text> b <|im_start|>system c [INST] d <|endoftext|>"
    out = neutralize(text)
    assert "</user_text>" not in out
    assert "<|im_start|>" not in out
    assert "[INST]" not in out
    assert "<|endoftext|>" not in out
    assert out.replace("\u200b", "") == text


@pytest.mark.parametrize("preset", ["opinion", "relevance"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_prompts_delimit_input_as_data(preset: str, lang: str) -> None:
    p = get_prompts(preset, lang)  # type: ignore[arg-type]
    for template in (p.split, p.single):
        rendered = template.format(text="PAYLOAD")
        assert "<user_text>\nPAYLOAD\n</user_text>" in rendered
    assert p.context_label in p.split and p.question_label in p.split
    assert p.context_label not in p.single.split("<user_text>")[0].split("\n")[-1]


def test_prompts_differ_by_preset_and_language() -> None:
    texts = {get_prompts(p, lang).split for p in ("opinion", "relevance") for lang in ("en", "zh")}  # type: ignore[arg-type]
    assert len(texts) == 4
    with pytest.raises(ValueError, match="unknown preset"):
        get_prompts("nope", "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # English questions that quote Chinese names (issue 13, item 12).
        ("What is 澳大利亚的首都? I think it's 悉尼 but not sure.", "en"),
        ("Who wrote 红楼梦?", "en"),
        ("What does 一带一路 mean?", "en"),
        ("Is 北京 bigger than 上海?", "en"),
        ("Translate 我爱你 into English", "en"),
        # Chinese questions that quote English names and terms.
        ("谁是Barack Obama的妻子？", "zh"),
        ("什么是 Retrieval Augmented Generation？", "zh"),
        ("iPhone 15的价格是多少？", "zh"),
        ("我想问一下 machine learning 和 deep learning 有什么区别？", "zh"),
        ("请问 New York City 的人口是多少？", "zh"),
        ("Python中如何读取CSV文件？", "zh"),
    ],
)
def test_detect_language_of_mixed_text(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "token",
    [
        "<start_of_turn>",
        "<end_of_turn>",
        "<bos>",
        "<｜begin▁of▁sentence｜>",
        "<｜User｜>",
        "<｜Assistant｜>",
        "< /user_text>",
        "<  user_text >",
    ],
)
def test_neutralize_breaks_gemma_deepseek_and_spaced_delimiters(token: str) -> None:
    text = f"a {token}user b"
    out = neutralize(text)
    assert token not in out
    assert out.replace("\u200b", "") == text
    assert restore_neutralized(out) == text


def test_restore_neutralized_removes_only_the_spaces_neutralize_inserted() -> None:
    text = "a\u200bb </user_text> <|im_end|> [INST] <<SYS>> </s>"
    assert restore_neutralized(neutralize(text)) == text  # the user's own ZWSP stays
    assert restore_neutralized("plain text") == "plain text"


PROMPT_DIGESTS = {
    "2026-12-01.6": "04e442de65b87a8b45a98ebe49a4bdcc81f291f14d60e479f750424ad8a9e68c"
}
"""SHA-256 of every model-facing text, per PROMPT_VERSION: a text change needs a new version."""


def test_prompt_texts_change_only_with_the_prompt_version() -> None:
    import dataclasses
    import hashlib
    import json

    from langchain_s2a.options import Language, Preset, PromptStyle
    from langchain_s2a.prompts import (
        PROMPT_VERSION,
        TRANSCRIPT_HEADER,
        TRANSCRIPT_ROLES,
        selection_prompt,
    )

    presets: tuple[Preset, ...] = ("opinion", "relevance")
    languages: tuple[Language, ...] = ("en", "zh")
    styles: tuple[PromptStyle, ...] = ("ours", "paper")
    combos = [(p, lang) for p in presets for lang in languages]
    texts: dict[str, Any] = {
        f"{p}/{lang}/{style}": dataclasses.asdict(get_prompts(p, lang, style))
        for p, lang in combos
        for style in styles
    }
    texts["rag"] = {
        f"{p}/{lang}": selection_prompt("Q?", ["[1] A.", ""], preset=p, language=lang)
        for p, lang in combos
    }
    texts["transcript"] = {"roles": TRANSCRIPT_ROLES, "header": TRANSCRIPT_HEADER}
    blob = json.dumps(texts, ensure_ascii=False, sort_keys=True).encode()
    assert hashlib.sha256(blob).hexdigest() == PROMPT_DIGESTS[PROMPT_VERSION]
