import pytest

from langchain_s2a._internal.reading.sections import clean_single, parse_sections

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


LABELLED = "Context: The sky is green.\nQuestion: What color is the sky? I think green."


def test_labels_copied_from_the_user_text_are_content() -> None:
    # The model wrapped the user's labelled text under its own labels (issue 13, item 9).
    raw = f"Context: none\nQuestion: {LABELLED}"
    parsed = parse_sections(raw, original=LABELLED)
    assert (parsed.context, parsed.question) == ("", LABELLED)
    # ... also when it wrapped it under the context label.
    raw = f"Context: {LABELLED}\nQuestion: What color is the sky?"
    parsed = parse_sections(raw, original=LABELLED)
    assert (parsed.context, parsed.question) == (LABELLED, "What color is the sky?")


def test_model_labels_that_repeat_a_user_line_still_count() -> None:
    # The model's own labels coincide with the user's lines: they are the only labels.
    raw = "Context: The sky is green.\nQuestion: What color is the sky?"
    parsed = parse_sections(raw, original=LABELLED)
    assert (parsed.context, parsed.question) == ("The sky is green.", "What color is the sky?")
    parsed = parse_sections(LABELLED, original=LABELLED)
    assert (parsed.context, parsed.question) == (
        "The sky is green.",
        "What color is the sky? I think green.",
    )


def test_without_the_original_the_last_question_label_still_wins() -> None:
    raw = f"Context: none\nQuestion: {LABELLED}"
    assert parse_sections(raw).question == "What color is the sky? I think green."


@pytest.mark.parametrize(
    ("raw", "original", "expected"),
    [
        ("Context: none\nQuestion: Who wrote Hamlet?", "Who wrote Hamlet? I think Marlowe.", Q),
        (
            "**Context:** The play is from 1600.\n**Question:** Who wrote Hamlet?",
            "The play is from 1600. Who wrote Hamlet? I think Marlowe.",
            "The play is from 1600. Who wrote Hamlet?",
        ),
        ("Question: Who wrote Hamlet?", "Who wrote Hamlet? I think Marlowe.", Q),
        (
            "上下文：无\n问题：谁写了《哈姆雷特》？",
            "谁写了《哈姆雷特》？我觉得是马洛。",
            "谁写了《哈姆雷特》？",
        ),
        (
            "上下文：这部剧写于1600年。\n问题：谁写了它？",
            "这部剧写于1600年。谁写了它？",
            "这部剧写于1600年。谁写了它？",
        ),
        # The user's text has labels of its own: they are the user's, left alone.
        (LABELLED, LABELLED, LABELLED),
    ],
)
def test_single_drops_labels_the_model_added(raw: str, original: str, expected: str) -> None:
    assert clean_single(raw, original=original) == expected
    if original != raw:  # without the original: labels stay, as before
        assert any(label in clean_single(raw) for label in ("Question", "问题"))


def test_echoed_format_placeholder_is_no_context() -> None:
    parsed = parse_sections("Context: the kept context, or none\nQuestion: Who wrote Hamlet?")
    assert (parsed.context, parsed.question) == ("", Q)
    parsed = parse_sections("Context: <the kept context, or none>\nQuestion: Who wrote Hamlet?")
    assert parsed.context == ""
