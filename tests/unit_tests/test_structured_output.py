"""Structured output in ``"auto"`` mode falls back per call (issue 13, item 10).

An unparseable structured reply or an error that may pass (a 5xx, an overloaded
server, a parser error) sends that one call down the text path; structured output
is switched off for the rewriter's life only when the model answers that it is not
supported.
"""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from langchain_s2a import S2ARewriter
from langchain_s2a._internal.io.calls import is_unsupported
from langchain_s2a.testing import FakeS2AStructuredChatModel

OPINION = "Who wrote Hamlet? I think the answer is Christopher Marlowe but I'm really not sure."
GOOD = "Context: none\nQuestion: Who wrote Hamlet?"
SECTIONS = {"context": "", "question": "Who wrote Hamlet?"}
LLAMA_SERVER_500 = (  # llama-cpp-python's server, asked for a JSON schema
    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema']"
)


def _status_error(cls: type[openai.APIStatusError], code: int, message: str) -> Exception:
    request = httpx.Request("POST", "http://api")
    return cls(message, response=httpx.Response(code, request=request), body=None)


class ScriptedStructured(FakeS2AStructuredChatModel):
    """Structured calls take the next outcome: sections (parsed), ``None`` (unparseable)
    or an exception (raised), then ``SECTIONS``; the text path answers ``respond``.

    ``bind_error`` makes ``with_structured_output`` itself raise.
    """

    def __init__(self, *, respond: Any, **kwargs: Any) -> None:
        super().__init__(replies=respond, default=SECTIONS, **kwargs)

    @property
    def paths(self) -> list[str]:
        return ["structured" if c.tags == ["structured"] else "text" for c in self.calls]


def structured(*outcomes: Any) -> ScriptedStructured:
    return ScriptedStructured(respond=lambda _m: GOOD, outcomes=list(outcomes))


@pytest.mark.parametrize(
    "first",
    [
        None,  # an unparseable structured reply
        openai.InternalServerError,  # a 5xx
        RuntimeError("the JSON parser choked on a trailing comma"),
    ],
    ids=["unparseable", "5xx", "other-error"],
)
@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_one_failure_falls_back_for_that_call_only(first: Any, use_async: bool) -> None:
    if first is openai.InternalServerError:
        first = _status_error(openai.InternalServerError, 503, "Service overloaded")
    model = structured(first, SECTIONS, SECTIONS)
    rewriter = S2ARewriter(model, variant="split")
    for _ in range(3):
        rewrite = await rewriter.ainvoke(OPINION) if use_async else rewriter.invoke(OPINION)
        assert rewrite.question == "Who wrote Hamlet?" and not rewrite.fallback
    assert model.paths == ["structured", "text", "structured", "structured"]


@pytest.mark.parametrize(
    "error",
    [
        _status_error(
            openai.BadRequestError,
            400,
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported "
            "with this model.",
        ),
        _status_error(openai.BadRequestError, 400, "llama3 does not support tools"),
        _status_error(openai.InternalServerError, 500, LLAMA_SERVER_500),
        NotImplementedError("structured output"),
    ],
    ids=["400-json-schema", "400-tools", "llama-server-500", "NotImplementedError"],
)
def test_a_definite_not_supported_answer_switches_it_off(error: Exception) -> None:
    model = structured(error)
    rewriter = S2ARewriter(model, variant="split")
    rewriter.invoke(OPINION)
    rewriter.invoke(OPINION)
    assert model.paths == ["structured", "text", "text"]


def test_a_model_that_cannot_bind_a_schema_is_switched_off() -> None:
    model = ScriptedStructured(
        respond=lambda _m: GOOD, bind_error=NotImplementedError("with_structured_output")
    )
    rewriter = S2ARewriter(model, variant="split")
    assert rewriter.invoke(OPINION).question == "Who wrote Hamlet?"
    assert rewriter.invoke(OPINION).question == "Who wrote Hamlet?"
    assert model.paths == ["text", "text"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NotImplementedError(), True),
        (ValueError("Model does not support structured output"), True),
        (RuntimeError("response_format json_schema is unsupported"), True),
        (_status_error(openai.BadRequestError, 400, "tool_choice is not supported"), True),
        (_status_error(openai.BadRequestError, 400, "Context length exceeded"), False),
        (_status_error(openai.InternalServerError, 500, "internal error"), False),
        (_status_error(openai.InternalServerError, 500, "json_schema not supported"), True),
        (TimeoutError("not supported"), False),
        (_status_error(openai.RateLimitError, 429, "not supported on the free tier"), False),
        (RuntimeError("bad JSON"), False),
    ],
)
def test_is_unsupported(error: BaseException, expected: bool) -> None:
    assert is_unsupported(error) is expected
