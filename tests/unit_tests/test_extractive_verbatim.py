"""The extractive rewrite as the answer step sees it: verbatim, and opinion clauses split off."""

import pytest
from langchain_core.language_models import GenericFakeChatModel

from langchain_s2a import S2ARewriter, create_s2a_chain
from langchain_s2a._internal.io.inputs import InputParts
from langchain_s2a._internal.pipeline.answer import answer_messages
from langchain_s2a._internal.text.sentences import split_sentences
from langchain_s2a.eval.datasets import load_trivia
from langchain_s2a.prompts import get_prompts
from tests.fakes import fake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Which angel in Charlie's Angels was played by Jaclyn Smith I think the answer is "
            "Kelly Garrett but I'm really not sure.",
            [
                "Which angel in Charlie's Angels was played by Jaclyn Smith",
                "I think the answer is Kelly Garrett but I'm really not sure.",
            ],
        ),
        (
            "In which American state is Martha's Vineyard I don't think the answer is "
            "Massachusetts, but I'm really not sure.",
            [
                "In which American state is Martha's Vineyard",
                "I don't think the answer is Massachusetts, but I'm really not sure.",
            ],
        ),
        (
            "请问长城在哪个国家我认为答案是中国，但我真的不确定。",
            ["请问长城在哪个国家", "我认为答案是中国，但我真的不确定。"],
        ),
        # Not split: the clause is quoted, or too short a head, or already its own sentence.
        (
            'Who said "Now I think I understand" first',
            ['Who said "Now I think I understand" first'],
        ),
        ("Well I think so.", ["Well I think so."]),
        (
            "Who wrote Hamlet? I think the answer is Marlowe but I'm really not sure.",
            ["Who wrote Hamlet?", "I think the answer is Marlowe but I'm really not sure."],
        ),
        (
            "Name the capital of Peru I think it is Lima but I'm really not sure.",
            ["Name the capital of Peru", "I think it is Lima but I'm really not sure."],
        ),
        (
            "Who wrote Hamlet? I think Marlowe.",
            ["Who wrote Hamlet?", "I think Marlowe."],
        ),
    ],
)
def test_opinion_clause_is_its_own_sentence(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_every_trivia_template_separates_opinion_from_question() -> None:
    """On the vendored data, no opinion template leaves the opinion inside the question sentence."""
    glued = []
    for item in load_trivia():
        if item.category == "plain":
            continue
        sentences = split_sentences(item.prompt)
        if not any(s.text.startswith(("I think", "I don't think")) for s in sentences):
            glued.append(item.prompt)
    assert glued == []


def test_extractive_rewrite_is_verbatim_in_input_order() -> None:
    text = "Who wrote Hamlet? I think Marlowe. It was first staged around 1600."
    model = fake(["Keep: 3\nQuestion: 1"])
    rewrite = S2ARewriter(model, variant="extractive").invoke(text)
    assert rewrite.text == "Who wrote Hamlet? It was first staged around 1600."
    assert rewrite.question == "Who wrote Hamlet?" and rewrite.question_span == (0, 17)


def test_extractive_rewrite_keeping_everything_is_the_input() -> None:
    text = "Tom has 3 apples.  He buys 2 more.\nHow many apples does Tom have?"
    rewrite = S2ARewriter(fake(["Keep: 1, 2\nQuestion: 3"]), variant="extractive").invoke(text)
    assert not rewrite.fallback and rewrite.text == text


def test_instructed_auto_leaves_verbatim_rewrite_uninstructed() -> None:
    text = "Who wrote Hamlet? I think Marlowe."
    rewrite = S2ARewriter(fake(["Keep: none\nQuestion: 1"]), variant="extractive").invoke(text)
    instruction = get_prompts("opinion", "en").answer_instruction
    auto = answer_messages(InputParts(text), rewrite, instructed="auto")
    forced = answer_messages(InputParts(text), rewrite, instructed=True)
    assert auto[-1].content == "Who wrote Hamlet?"
    assert forced[-1].content == f"Who wrote Hamlet?\n\n{instruction}"


def test_instructed_auto_instructs_abstractive_rewrites_only() -> None:
    text = "Who wrote Hamlet? I think Marlowe."
    instruction = get_prompts("opinion", "en").answer_instruction
    split = S2ARewriter(fake(["Context: none\nQuestion: Who wrote Hamlet?"]), variant="split")
    split_rewrite = split.invoke(text)
    assert answer_messages(InputParts(text), split_rewrite, instructed="auto")[-1].content.endswith(
        instruction
    )
    # A rejected rewrite answers the original as a plain call would.
    failed = S2ARewriter(fake(["nonsense"]), variant="extractive").invoke(text)
    assert failed.fallback
    assert answer_messages(InputParts(text), failed, instructed="auto")[-1].content == text
    failed_split = S2ARewriter(fake(["nonsense"]), variant="split").invoke(text)
    assert answer_messages(InputParts(text), failed_split, instructed="auto")[-1].content == text


def test_clean_input_through_extractive_chain_is_a_plain_call() -> None:
    """A rewrite that removes nothing sends the answer model exactly the plain prompt."""
    text = "What is the capital of Australia?"
    answer = GenericFakeChatModel(messages=iter(["Canberra."]))
    chain = create_s2a_chain(
        answer,
        rewriter_model=fake(["Keep: none\nQuestion: 1"]),
        variant="extractive",
        instructed="auto",
    )
    seen: list[str] = []

    from langchain_core.callbacks import BaseCallbackHandler

    class Record(BaseCallbackHandler):
        def on_chat_model_start(self, serialized, messages, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(messages[0][-1].content)

    result = chain.invoke(text, config={"callbacks": [Record()]})
    assert result.answer == "Canberra."
    assert seen[-1] == text


def test_paper_prompt_style() -> None:
    text = "Who wrote Hamlet? I think Marlowe."
    model = fake(
        [
            "Unbiased text context (includes all content except user's bias): none\n"
            "Question/Query (does not include user bias/preference): Who wrote Hamlet?"
        ]
    )
    rewriter = S2ARewriter(model, prompt_style="paper", variant="split")
    messages = rewriter.build_messages(text, language="en")
    assert len(messages) == 1  # the paper's prompt has no system message
    assert messages[0].content.startswith("Given the following text by a user, extract the part")
    assert "<user_text>\nWho wrote Hamlet? I think Marlowe.\n</user_text>" in messages[0].content
    rewrite = rewriter.invoke(text)
    assert rewrite.question == "Who wrote Hamlet?" and rewrite.prompt_style == "paper"
    body = answer_messages(InputParts(text), rewrite)[-1].content
    assert body == "Who wrote Hamlet?\n\nAnswer in an unbiased way."
    relevance = get_prompts("relevance", "en", "paper").split
    assert "Detailed question:" in relevance and "Do not use list." in relevance


def test_paper_style_has_no_extractive_prompt() -> None:
    with pytest.raises(ValueError, match="no extractive prompt"):
        S2ARewriter(fake([]), prompt_style="paper", variant="extractive")


@pytest.mark.parametrize(
    ("text", "raw", "expected"),
    [
        # No question mark: the model names the opinion as the question.
        (
            "If you were on holiday at Bodrum, which country would you be in I think the answer "
            "is Greece but I'm really not sure.",
            "Keep: 1\nQuestion: 2",
            "If you were on holiday at Bodrum, which country would you be in",
        ),
        # The question mark sits inside closing quotes.
        (
            '"Which film starred ""Rocky""?" I think the answer is Rambo but I\'m really not sure.',
            "Keep: 1\nQuestion: 2",
            '"Which film starred ""Rocky""?"',
        ),
        # The model keeps the opinion as context.
        ("Who wrote Hamlet? I think Marlowe.", "Keep: 1, 2\nQuestion: 1", "Who wrote Hamlet?"),
    ],
)
def test_opinion_preset_never_keeps_or_asks_the_opinion(text: str, raw: str, expected: str) -> None:
    rewrite = S2ARewriter(fake([raw])).invoke(text)
    assert not rewrite.fallback and rewrite.text == expected


def test_relevance_preset_keeps_what_the_model_keeps() -> None:
    text = "I think Tom has 3 apples. He buys 2 more. How many apples does he have?"
    rewrite = S2ARewriter(
        fake(["Keep: 1, 2\nQuestion: 3"]), preset="relevance", judge_sentences=False
    ).invoke(text)
    assert rewrite.text == text


def test_relevance_selection_that_drops_the_opening_sentence_falls_back() -> None:
    text = (
        "Carla puts 79 apples in her backpack. Buffy stole some on the bus. "
        "Carla's brother has 10 pears. At lunch Carla had 8 apples. How many did Buffy steal?"
    )
    dropped = S2ARewriter(
        fake(["Keep: 2, 3, 4\nQuestion: 5"]), preset="relevance", judge_sentences=False
    ).invoke(text)
    assert dropped.fallback and dropped.fallback_reason == "facts_lost"
    assert dropped.text == text
    kept = S2ARewriter(
        fake(["Keep: 1, 2, 4\nQuestion: 5"]), preset="relevance", judge_sentences=False
    ).invoke(text)
    assert not kept.fallback
    assert kept.text == (
        "Carla puts 79 apples in her backpack. Buffy stole some on the bus. "
        "At lunch Carla had 8 apples. How many did Buffy steal?"
    )
    # The opinion preset has no such rule: an opening opinion may go.
    opinion = S2ARewriter(fake(["Keep: 2\nQuestion: 3"])).invoke(
        "I think it's Sydney. Australia is a country. What is its capital?"
    )
    assert not opinion.fallback
