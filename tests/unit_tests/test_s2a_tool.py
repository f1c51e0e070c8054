"""langchain-tests' standard tool tests for S2ATool, with a fake selection model.

The "integration" suite only invokes the tool, so with the fake model it runs
offline here as well.
"""

from typing import Any

from langchain_core.messages import ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_s2a.agents import S2ATool, S2AToolInput
from tests.fakes import FakeChat

PASSAGE = "Canberra is the capital of Australia. I reckon Sydney is nicer."


def _keep_first(messages: Any) -> str:
    return "Keep: 1"


class TestS2AToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[S2ATool]:
        return S2ATool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": FakeChat(respond=_keep_first)}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"passage": PASSAGE, "question": "What is the capital of Australia?"}


class TestS2AToolInvoke(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[S2ATool]:
        return S2ATool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": FakeChat(respond=_keep_first)}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"passage": PASSAGE, "question": "What is the capital of Australia?"}


def test_tool_call_returns_the_cleaned_passage() -> None:
    tool = S2ATool(model=FakeChat(respond=_keep_first))
    call = {"name": tool.name, "args": {"passage": PASSAGE, "question": "Capital?"}, "id": "1"}
    message = tool.invoke({**call, "type": "tool_call"})
    assert isinstance(message, ToolMessage)
    assert message.content == "Canberra is the capital of Australia."
    assert set(S2AToolInput.model_json_schema()["required"]) == {"passage", "question"}


async def test_tool_async_is_really_async() -> None:
    model = FakeChat(respond=_keep_first)
    out = await S2ATool(model=model).ainvoke({"passage": PASSAGE, "question": "Capital?"})
    assert out == "Canberra is the capital of Australia." and model.calls[0].is_async
