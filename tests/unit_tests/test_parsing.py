import pytest

from langchain_s2a.parsing import (
    check_question_kept,
    clean_single,
    content_tokens,
    parse_sections,
)

Q = "Who wrote Hamlet?"


@pytest.mark.parametrize(
    ("raw", "context", "question"),
    [
        ("Context: none\nQuestion: Who wrote Hamlet?", "", Q),
        (
            "context: The play is from 1600.\nquestion: Who wrote Hamlet?",
            "The play is from 1600.",
            Q,
        ),
        ("CONTEXT: A fact.\nQUESTION: Who wrote Hamlet?", "A fact.", Q),
        ("**Context:** A fact.\n**Question:** Who wrote Hamlet?", "A fact.", Q),
        ("**Context**: A fact.\n**Question**: Who wrote Hamlet?", "A fact.", Q),
        ("## Context\nA fact.\n\n## Question\nWho wrote Hamlet?", "A fact.", Q),
        ("### Context:\nA fact.\n### Question:\nWho wrote Hamlet?", "A fact.", Q),
        ("- Context: A fact.\n- Question: Who wrote Hamlet?", "A fact.", Q),
        (
            "Sure! Here is the rewritten text.\n\nContext: A fact.\nQuestion: Who wrote Hamlet?\n\n"
            "I removed the user's opinion about Marlowe.",
            "A fact.",
            Q,
        ),
        (
            "Unbiased text context (includes all content except user's bias): A fact.\n"
            "Question/Query (does not include user bias/preference): Who wrote Hamlet?",
            "A fact.",
            Q,
        ),
        (
            "Context text related to the question (includes all content except unrelated "
            "sentences): Tom has 3 apples.\nDetailed question: How many apples does Tom have?",
            "Tom has 3 apples.",
            "How many apples does Tom have?",
        ),
        ("上下文：无\n问题：谁写了《哈姆雷特》？", "", "谁写了《哈姆雷特》？"),
        (
            "上下文: 这部剧写于1600年。\n问题: 谁写了《哈姆雷特》？",
            "这部剧写于1600年。",
            "谁写了《哈姆雷特》？",
        ),
        ("Context： A fact.\nQuestion： Who wrote Hamlet?", "A fact.", Q),
        ("Context: A fact. Question: Who wrote Hamlet?", "A fact.", Q),
        ("Question: Who wrote Hamlet?\nContext: A fact.", "A fact.", Q),
        ("Question: Who wrote Hamlet?", "", Q),
        ('Context: N/A\nQuestion: "Who wrote Hamlet?"', "", Q),
        ("```\nContext: none\nQuestion: Who wrote Hamlet?\n```", "", Q),
        (
            "Context: The note said 'Question: ignore this'.\nQuestion: Who wrote Hamlet?",
            "The note said 'Question: ignore this'.",
            Q,
        ),
        (
            "Context: Line one.\nQuestion: fake label inside context\nmore context\nQuestion: Who wrote Hamlet?",
            "Line one.\nQuestion: fake label inside context\nmore context",
            Q,
        ),
        (
            "Context:\nParagraph one.\n\nParagraph two.\nQuestion:\nWho wrote Hamlet?",
            "Paragraph one.\n\nParagraph two.",
            Q,
        ),
    ],
)
def test_parse_sections_accepts_common_forms(raw: str, context: str, question: str) -> None:
    parsed = parse_sections(raw)
    assert parsed.context == context
    assert parsed.question == question


@pytest.mark.parametrize(
    ("raw", "ctx_label", "q_label", "question"),
    [
        ("Who wrote Hamlet?", False, False, ""),
        ("Context: A fact about the play.", True, False, ""),
        ("Context: A fact.\nQuestion:", True, True, ""),
        ("Context: A fact.\nQuestion: none", True, True, ""),
        ("", False, False, ""),
        ("The answer is Shakespeare.", False, False, ""),
    ],
)
def test_parse_sections_reports_missing_parts(
    raw: str, ctx_label: bool, q_label: bool, question: str
) -> None:
    parsed = parse_sections(raw)
    assert (parsed.found_context_label, parsed.found_question_label) == (ctx_label, q_label)
    assert parsed.question == question


def test_context_label_in_prose_is_not_a_label() -> None:
    # "context" in the middle of a sentence is not a section header.
    parsed = parse_sections("In this context: nothing.\nQuestion: Who wrote Hamlet?")
    assert parsed.found_context_label is False
    assert parsed.question == Q


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Who wrote Hamlet?", Q),
        ("Here is the rewritten text:\nWho wrote Hamlet?", Q),
        ("```\nWho wrote Hamlet?\n```", Q),
        ('"Who wrote Hamlet?"', Q),
        ("   ", ""),
        ("以下是改写后的文本：\n谁写了《哈姆雷特》？", "谁写了《哈姆雷特》？"),
    ],
)
def test_clean_single(raw: str, expected: str) -> None:
    assert clean_single(raw) == expected


def test_content_tokens_cover_words_numbers_and_han() -> None:
    assert content_tokens("Tom has 1,000 apples") == {"tom", "has", "1000", "apples"}
    assert {"哈姆", "姆雷"} <= content_tokens("谁写了哈姆雷特")


@pytest.mark.parametrize(
    ("question", "original", "kept"),
    [
        (Q, "Who wrote Hamlet? I think Marlowe.", True),
        ("What is the answer?", "Who wrote Hamlet? I think Marlowe.", False),
        ("What is the capital of Peru?", "Who wrote Hamlet?", False),
        ("谁写了《哈姆雷特》？", "谁写了《哈姆雷特》？我觉得是马洛。", True),
        ("How many stars?", "Luke made 33 stars. How many more stars?", True),
        ("Why?", "Why?", True),
        ("", "Why?", False),
    ],
)
def test_check_question_kept(question: str, original: str, kept: bool) -> None:
    assert check_question_kept(question, original) is kept
