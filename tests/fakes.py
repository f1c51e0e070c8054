"""The tests' names for the public fake (:mod:`langchain_s2a.testing`), plus S2A helpers.

``FakeChat(respond=...)`` is :class:`~langchain_s2a.testing.FakeS2AChatModel` with a
reply function (``respond`` is its ``replies``); ``Call`` is its call record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_s2a.testing import FakeCall, FakeS2AChatModel

Responder = Callable[[list[BaseMessage]], "str | BaseException"]
Call = FakeCall


def is_rewrite_prompt(messages: list[BaseMessage]) -> bool:
    return any("<user_text>" in m.text for m in messages)


def scripted(rewrite: str | Sequence[str] | None = None, answer: str = "ANSWER") -> Responder:
    """Reply with ``rewrite`` (or successive items) to rewrite prompts, ``answer`` otherwise."""
    queue = [rewrite] if isinstance(rewrite, str) or rewrite is None else list(rewrite)
    lock = threading.Lock()

    def respond(messages: list[BaseMessage]) -> str:
        if is_rewrite_prompt(messages):
            with lock:
                item = queue.pop(0) if len(queue) > 1 else queue[0]
            return item if item is not None else ""
        return answer

    return respond


class FakeChat(FakeS2AChatModel):
    """The public fake, answering via ``respond(messages)``."""

    def __init__(self, *, respond: Responder, **kwargs: Any) -> None:
        super().__init__(replies=respond, **kwargs)

    @property
    def respond(self) -> Any:
        """The reply function (the model's ``replies``)."""
        return self.replies

    @respond.setter
    def respond(self, value: Responder) -> None:
        self.replies = value

    @property
    def rewrite_calls(self) -> list[Call]:
        return [c for c in self.calls if is_rewrite_prompt(c.messages)]

    @property
    def answer_calls(self) -> list[Call]:
        return [c for c in self.calls if not is_rewrite_prompt(c.messages)]


def fake(rewrite: str | Sequence[str] | None = None, answer: str = "ANSWER", **kw: Any) -> FakeChat:
    return FakeChat(respond=scripted(rewrite, answer), **kw)
