"""S2A for LangChain agents: a ``create_agent`` middleware and a tool.

* :class:`S2AMiddleware` rewrites the newest user turn (optionally earlier turns,
  and tool results past a size threshold) before each model call, so the agent
  reasons over the rewrite. The state keeps the original messages; the rewrites
  are recorded in the state key ``s2a_rewrites`` and sent on the custom stream as
  ``{"s2a_rewrite": ...}``.
* :class:`S2ATool` lets an agent clean a passage for a question itself.

Example:
    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> tool = S2ATool(model=GenericFakeChatModel(messages=iter(["Keep: 1"])))
    >>> tool.invoke({"passage": "Paris is in France. I love cheese.", "question": "Where is Paris?"})
    'Paris is in France.'
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from typing import Annotated, Any, NamedTuple, NotRequired, cast

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.documents import Document
from langchain_core.messages import AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool
from langgraph.config import get_config
from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from langchain_s2a._internal.io.inputs import InputParts, replace_text
from langchain_s2a._internal.pipeline.answer import answer_messages
from langchain_s2a._internal.pipeline.attempts import REWRITE_TAGS
from langchain_s2a.errors import S2ARewriteError
from langchain_s2a.models import ModelLike
from langchain_s2a.options import Instructed, OnFailure, Preset, Variant
from langchain_s2a.prompts import TOOL_DESCRIPTION, TOOL_NOTHING_RELEVANT
from langchain_s2a.rag import S2ADocumentCompressor
from langchain_s2a.result import METADATA_KEY, REWRITE_NAME, S2ARewrite
from langchain_s2a.rewriter import S2ARewriter

__all__ = ["S2AAgentState", "S2AMiddleware", "S2ATool", "S2AToolInput"]

NOTHING_RELEVANT = TOOL_NOTHING_RELEVANT
"""What :class:`S2ATool` returns when it keeps nothing."""


logger = logging.getLogger(__name__)


def _merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class S2AAgentState(AgentState[Any]):
    """Agent state with the S2A rewrites, keyed by the id of the message they replace."""

    s2a_rewrites: NotRequired[Annotated[dict[str, dict[str, Any]], _merge]]
    """``{message_id: record}``: what the model saw in place of each cleaned message."""


class _Job(NamedTuple):
    """One rewrite the middleware's hook asks for: a user turn, or a tool result."""

    kind: str
    message: BaseMessage
    question: str


def _recorded(records: dict[str, dict[str, Any]], message: BaseMessage) -> dict[str, Any] | None:
    """The record of ``message``, if it was made for this very text.

    Records are keyed by message id; a turn edited and resent under the same id
    (edit-and-resend in a chat UI) has another text, so its old record is stale.
    """
    record = records.get(str(message.id)) if message.id else None
    return record if record is not None and record.get("original") == message.text else None


def _node_config() -> RunnableConfig:
    try:
        config = get_config()
    except RuntimeError:  # outside a graph run
        config = {}
    return merge_configs(config, {"tags": list(REWRITE_TAGS)})


class S2AMiddleware(AgentMiddleware[S2AAgentState, Any, Any]):
    """Run S2A on the user's turn before every model call of a ``create_agent`` agent.

    Each cleaned message is rewritten once (keyed by message id and text) and
    reused on later model calls and turns; a message whose text changed under the
    same id (a user turn edited and resent) is rewritten again. The model sees the rewrite in place of the
    message's text: a turn made of content blocks keeps its image, audio and file
    blocks in place, and every message keeps its ``name``, ``id`` and
    ``additional_kwargs``. The agent state keeps the original, and
    ``state["s2a_rewrites"]`` holds ``{message_id: {"kind", "text", "original", ...}}``.

    With ``on_error="original"`` a rewriter that raises (a provider outage, a
    timeout, an input over ``max_input_chars``) does not stop the agent: the
    message is sent as it was, its record has ``"text": None`` (and for a user
    turn ``"rewrite": None``) and ``"error": "<type>: <message>"``, and a warning
    is logged; the message is not retried later in the run. An unusable rewrite
    with ``on_failure="raise"`` still raises :class:`~langchain_s2a.S2ARewriteError`.

    Args:
        model: The rewriting model (a chat model, a name, ``None`` for the local
            model) or a ready :class:`~langchain_s2a.S2ARewriter`.
        preset: Rewrite preset for user turns (``"opinion"`` or ``"relevance"``).
        variant: ``"extractive"`` (default: the model picks sentence numbers and
            the rewrite is the input's own sentences, verbatim), ``"split"``
            (the paper's S2A: context + question written by the model) or
            ``"single"`` (S2A-Single).
        instructed: Append the "answer in an unbiased way" instruction to the
            rewritten turn.
        earlier_turns: Also rewrite earlier user turns, not only the newest.
        min_chars: User turns shorter than this are left alone.
        tool_result_chars: Tool results longer than this are cleaned for the
            newest question with :class:`S2ADocumentCompressor` (``None``: never).
        on_failure: ``"original"`` (use the original turn) or ``"raise"``.
        on_error: When rewriting raises: ``"raise"`` (default; the agent run
            fails) or ``"original"`` (fail open: send the message unchanged).

    Example:
        >>> from langchain.agents import create_agent
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> rewriter = GenericFakeChatModel(messages=iter(["Context: none\\nQuestion: Who wrote Hamlet?"]))
        >>> agent = create_agent(
        ...     GenericFakeChatModel(messages=iter(["Shakespeare."])), middleware=[S2AMiddleware(rewriter)]
        ... )
        >>> out = agent.invoke({"messages": [HumanMessage("Who wrote Hamlet? I think Marlowe.")]})
        >>> out["messages"][0].text, out["messages"][-1].text
        ('Who wrote Hamlet? I think Marlowe.', 'Shakespeare.')
        >>> next(iter(out["s2a_rewrites"].values()))["rewrite"]["question"]
        'Who wrote Hamlet?'
    """

    state_schema = S2AAgentState

    def __init__(
        self,
        model: ModelLike | S2ARewriter = None,
        *,
        preset: Preset = "opinion",
        variant: Variant = "extractive",
        instructed: Instructed = "auto",
        earlier_turns: bool = False,
        min_chars: int = 0,
        tool_result_chars: int | None = None,
        on_failure: OnFailure = "original",
        on_error: OnFailure = "raise",
    ) -> None:
        super().__init__()
        if isinstance(model, S2ARewriter):
            self.rewriter = model
        else:
            self.rewriter = S2ARewriter(
                model, preset=preset, variant=variant, on_failure=on_failure
            )
        self.instructed = instructed
        self.earlier_turns = earlier_turns
        self.min_chars = min_chars
        self.tool_result_chars = tool_result_chars
        self.on_error: OnFailure = on_error
        self.compressor: S2ADocumentCompressor | None = None
        if tool_result_chars is not None:
            self.compressor = S2ADocumentCompressor(
                self.rewriter.model, on_failure=self.rewriter.on_failure
            )

    # ------------------------------------------------------------- selection
    def _targets(self, state: S2AAgentState) -> tuple[list[BaseMessage], list[BaseMessage], str]:
        """User turns and tool results still to clean, and the newest user text."""
        messages = state["messages"]
        done = state.get("s2a_rewrites") or {}
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        question = str(humans[-1].text) if humans else ""
        chosen = humans if self.earlier_turns else humans[-1:]
        users: list[BaseMessage] = [
            m
            for m in chosen
            if _recorded(done, m) is None and len(m.text) >= max(self.min_chars, 1)
        ]
        tools: list[BaseMessage] = []
        if self.tool_result_chars is not None and question:
            tools = [
                m
                for m in messages
                if isinstance(m, ToolMessage)
                and _recorded(done, m) is None
                and len(m.text) > self.tool_result_chars
            ]
        for rewrite in done.values():  # prefer the cleaned question for tool results
            if rewrite.get("kind") == "user" and rewrite.get("original") == question:
                question = (rewrite.get("rewrite") or {}).get("question") or question
        return users, tools, question

    def _user_record(self, message: BaseMessage, rewrite: S2ARewrite) -> dict[str, Any]:
        text = answer_messages(InputParts(message.text), rewrite, instructed=self.instructed)
        return {
            "kind": "user",
            "text": text[-1].text,
            "original": message.text,
            "rewrite": rewrite.model_dump(),
        }

    @staticmethod
    def _tool_record(message: BaseMessage, docs: list[Document]) -> dict[str, Any]:
        text = docs[0].page_content if docs else NOTHING_RELEVANT
        meta = docs[0].metadata.get(METADATA_KEY, {}) if docs else {}
        return {"kind": "tool", "text": text, "original": message.text, "s2a": meta}

    def _error_record(self, kind: str, message: BaseMessage, exc: Exception) -> dict[str, Any]:
        """Fail open on ``exc`` (or re-raise it): the record of an unchanged message."""
        if self.on_error == "raise" or isinstance(exc, S2ARewriteError | GraphBubbleUp):
            raise exc
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("S2A left message %s unchanged: the rewriter raised %s", message.id, error)
        record = {"kind": kind, "text": None, "original": message.text, "error": error}
        return {**record, "rewrite": None} if kind == "user" else record

    @staticmethod
    def _publish(runtime: Runtime[Any], records: dict[str, dict[str, Any]]) -> dict[str, Any]:
        for message_id, record in records.items():
            runtime.stream_writer({REWRITE_NAME: {"message_id": message_id, **record}})
        return {"s2a_rewrites": records}

    # --------------------------------------------------------------- cleaning
    def _steps(
        self, state: S2AAgentState, runtime: Runtime[Any]
    ) -> Generator[_Job, Any, dict[str, Any] | None]:
        """The hooks' logic, for sync and async alike.

        It yields each rewrite to make; the hook runs it and sends the result in,
        or throws its error in.
        """
        users, tools, question = self._targets(state)
        if not users and not tools:
            return None
        records: dict[str, dict[str, Any]] = {}
        for message in users:
            try:
                rewrite: S2ARewrite = yield _Job("user", message, question)
            except Exception as exc:
                records[str(message.id)] = self._error_record("user", message, exc)
                continue
            records[str(message.id)] = self._user_record(message, rewrite)
            if message.text == question and not rewrite.fallback:
                question = rewrite.question
        for message in tools:
            try:
                docs: list[Document] = yield _Job("tool", message, question)
            except Exception as exc:
                records[str(message.id)] = self._error_record("tool", message, exc)
                continue
            records[str(message.id)] = self._tool_record(message, docs)
        return self._publish(runtime, records)

    def _compressor(self) -> S2ADocumentCompressor:
        assert self.compressor is not None  # tool results are cleaned only with one
        return self.compressor

    def _run(self, job: _Job, config: RunnableConfig) -> Any:
        if job.kind == "user":
            return self.rewriter.invoke(job.message.text, config)
        return self._compressor().compress([Document(job.message.text)], job.question, config)

    async def _arun(self, job: _Job, config: RunnableConfig) -> Any:
        if job.kind == "user":
            return await self.rewriter.ainvoke(job.message.text, config)
        docs = [Document(job.message.text)]
        return await self._compressor().acompress(docs, job.question, config)

    # ------------------------------------------------------------------ hooks
    def before_model(self, state: S2AAgentState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Rewrite the turns that need it; record the rewrites in the state and stream."""
        steps, config = self._steps(state, runtime), _node_config()
        try:
            job = next(steps)
            while True:
                try:
                    result = self._run(job, config)
                except Exception as exc:
                    job = steps.throw(exc)
                else:
                    job = steps.send(result)
        except StopIteration as done:
            return cast("dict[str, Any] | None", done.value)

    async def abefore_model(
        self, state: S2AAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Async twin of :meth:`before_model`."""
        steps, config = self._steps(state, runtime), _node_config()
        try:
            job = next(steps)
            while True:
                try:
                    result = await self._arun(job, config)
                except Exception as exc:
                    job = steps.throw(exc)
                else:
                    job = steps.send(result)
        except StopIteration as done:
            return cast("dict[str, Any] | None", done.value)

    @staticmethod
    def _swap(request: ModelRequest[Any]) -> ModelRequest[Any]:
        records = request.state.get("s2a_rewrites")
        if not isinstance(records, dict) or not records:
            return request
        messages: list[AnyMessage] = []
        for message in request.messages:
            record = _recorded(records, message)
            text = record.get("text") if record else None
            messages.append(replace_text(message, text) if text is not None else message)
        return request.override(messages=messages)

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        """Call the model with the rewrites in place of the originals' text."""
        return handler(self._swap(request))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        """Async twin of :meth:`wrap_model_call`."""
        return await handler(self._swap(request))


class S2AToolInput(BaseModel):
    """Arguments of :class:`S2ATool`."""

    passage: str = Field(description="The text to clean, e.g. a retrieved or pasted passage.")
    question: str = Field(description="The question the passage should help answer.")


class S2ATool(BaseTool):
    """Clean a passage for a question: keep its relevant sentences, word for word.

    Uses :class:`~langchain_s2a.rag.S2ADocumentCompressor`; when nothing is
    relevant it says so, and when the model's reply is unusable the passage comes
    back unchanged.

    Args:
        model: The chat model that selects sentences (or ``None`` for the local
            model). Ignored when ``compressor`` is given.
        compressor: A configured :class:`S2ADocumentCompressor`.
    """

    name: str = "s2a_clean_passage"
    description: str = TOOL_DESCRIPTION
    args_schema: type[BaseModel] = S2AToolInput
    compressor: S2ADocumentCompressor
    """The compressor that does the work."""

    def __init__(self, model: ModelLike = None, /, **kwargs: Any) -> None:
        if "compressor" not in kwargs:
            kwargs["compressor"] = S2ADocumentCompressor(
                kwargs.pop("model", model), preset="opinion", on_empty="empty"
            )
        super().__init__(**kwargs)

    @staticmethod
    def _render(docs: list[Document]) -> str:
        return "\n\n".join(d.page_content for d in docs) if docs else NOTHING_RELEVANT

    def _run(
        self,
        passage: str,
        question: str,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> str:
        config: RunnableConfig = {"callbacks": run_manager.get_child() if run_manager else None}
        return self._render(self.compressor.compress([Document(passage)], question, config))

    async def _arun(
        self,
        passage: str,
        question: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> str:
        config: RunnableConfig = {"callbacks": run_manager.get_child() if run_manager else None}
        docs = await self.compressor.acompress([Document(passage)], question, config)
        return self._render(docs)
