"""S2A over a whole conversation.

A user can plant an opinion in any turn ("I'm sure it's Sydney", two turns before
the question), and a fact the question needs may have been established turns
earlier. Rewriting only the newest turn would lose the fact and miss the opinion.
Here the conversation is flattened into a transcript, the transcript is rewritten
with the opinion preset (delimited as data, like any S2A input), and the answer
model sees the rewrite alone — plus the conversation's system messages, which are
instructions, not data.

Example:
    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> from langchain_core.messages import AIMessage, HumanMessage
    >>> model = GenericFakeChatModel(messages=iter([
    ...     "Context: The user's sister is 7.\\nQuestion: How old is the user's sister?",
    ...     "7.",
    ... ]))
    >>> chain = create_s2a_conversation_chain(model, variant="split")
    >>> result = chain.invoke([
    ...     HumanMessage("My sister is 7."), AIMessage("Noted."),
    ...     HumanMessage("I bet she is 9. How old is my sister?"),
    ... ])
    >>> result.answer, result.rewrite.context
    ('7.', "The user's sister is 7.")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda
from typing_extensions import Unpack

from langchain_s2a._internal.io.inputs import message_text
from langchain_s2a._internal.text.language import detect_language
from langchain_s2a.chain import create_s2a_chain
from langchain_s2a.errors import S2AInputError
from langchain_s2a.models import ModelLike, resolve_chat_model
from langchain_s2a.options import Instructed, LanguageOption, RewriteOptions
from langchain_s2a.prompts import TRANSCRIPT_HEADER as _HEADER
from langchain_s2a.prompts import TRANSCRIPT_ROLES as _ROLES
from langchain_s2a.result import S2AResult
from langchain_s2a.rewriter import S2ARewriter, resolve_rewriter

__all__ = ["create_s2a_conversation_chain", "format_transcript"]


def _as_messages(value: Any) -> list[BaseMessage]:
    if isinstance(value, PromptValue):
        return value.to_messages()
    if isinstance(value, Mapping):
        if "messages" not in value:
            raise TypeError("a conversation dict needs a 'messages' key")
        value = value["messages"]
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(
            "S2A conversation input must be a list of messages, a PromptValue or a dict "
            f"with a 'messages' key; got {type(value).__name__}"
        )
    return convert_to_messages(value)


def format_transcript(
    messages: Sequence[BaseMessage],
    *,
    language: LanguageOption = "auto",
    include_assistant: bool = True,
    max_turns: int | None = None,
    header: bool = True,
) -> str:
    """Flatten a conversation into a transcript (system messages are left out).

    Every line of a turn starts with that turn's role label, so no turn can pass
    a line of its own off as another's: a user's line "Assistant: ..." comes out
    as "User: Assistant: ...".

    Args:
        messages: The conversation; it must contain a human message.
        language: Language of the role labels; ``"auto"`` follows the last human turn.
        include_assistant: Keep the assistant's and tools' turns (facts may have
            been established there).
        max_turns: Keep only the last ``max_turns`` messages.
        header: Put the one-line header above the turns. The conversation chain
            leaves it out: the rewriter would number it as the user's first sentence.

    Returns:
        One paragraph per message (each of its lines as ``Role: line``), under a
        one-line header.

    Raises:
        S2AInputError: If there is no human message.

    Example:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> print(format_transcript([HumanMessage("Hi."), AIMessage("Hello."), HumanMessage("Why?")]))
        Conversation so far; the user's last turn holds the question to answer.
        <BLANKLINE>
        User: Hi.
        <BLANKLINE>
        Assistant: Hello.
        <BLANKLINE>
        User: Why?
    """
    turns = [m for m in messages if m.type in ("human", "ai", "tool")]
    if not include_assistant:
        turns = [m for m in turns if m.type == "human"]
    if max_turns is not None:
        turns = turns[-max_turns:]
    humans = [m for m in turns if m.type == "human"]
    if not humans:
        raise S2AInputError("the conversation has no human message to answer")
    lang = detect_language(message_text(humans[-1])) if language == "auto" else language
    paragraphs = [_HEADER[lang]] if header else []
    for message in turns:
        label = _ROLES[lang][message.type]
        lines = [line.strip() for line in message.text.splitlines() if line.strip()]
        if lines:
            paragraphs.append("\n".join(f"{label}: {line}" for line in lines))
    return "\n\n".join(paragraphs)


def create_s2a_conversation_chain(
    model: ModelLike = None,
    *,
    rewriter: S2ARewriter | None = None,
    rewriter_model: ModelLike = None,
    include_assistant: bool = True,
    max_turns: int | None = None,
    instructed: Instructed = "auto",
    answer_format: str | None = None,
    timeout: float | None = None,
    max_attempts: int = 3,
    max_retries: int = 0,
    **options: Unpack[RewriteOptions],
) -> Runnable[Any, S2AResult]:
    """S2A for multi-turn chat: rewrite the whole conversation, answer from the rewrite.

    Input: a list of messages, a ``PromptValue`` or ``{"messages": [...]}``; its
    last turn (system messages aside) must be the user's or a tool's, since that
    is what gets answered: a conversation ending in an AI turn raises
    :class:`~langchain_s2a.S2AInputError`.
    Output: :class:`~langchain_s2a.S2AResult`; ``result.rewrite.original`` is the
    transcript that was rewritten. Streams like :func:`~langchain_s2a.create_s2a_chain`.
    On an unusable rewrite the answer model gets the transcript itself.

    Args:
        model: The answering chat model (or a name, or ``None`` for the local one).
        rewriter: A ready :class:`~langchain_s2a.S2ARewriter`, used as is (see
            :func:`~langchain_s2a.create_s2a_chain`); ``rewriter_model`` and the
            rewriter's ``**options`` must then stay at their defaults, and its
            ``language`` and ``max_input_chars`` also set the transcript's labels and
            limit.
        rewriter_model: A separate rewrite model; defaults to ``model``.
        include_assistant: Show the rewriter the assistant's turns too.
        max_turns: Rewrite only the last ``max_turns`` messages.
        instructed: Add the debiasing instruction to the answer step:
            ``"auto"`` (default) only after an abstractive rewrite,
            ``True`` always, ``False`` never (S2A-NI).
        answer_format: Format instruction appended to the answer prompt.
        timeout: Seconds each model call may take (``None``: no limit).
        max_attempts: Attempts per model call on transient errors.
        max_retries: Extra rewrite attempts after a rejected rewrite, each sent
            the rejected reply and the reason (see :func:`~langchain_s2a.create_s2a_chain`).
        **options: The rewriter's options (:class:`~langchain_s2a.options.RewriteOptions`),
            as :func:`~langchain_s2a.create_s2a_chain` takes them; ``preset`` defaults
            to ``"opinion"``; ``max_input_chars`` bounds what is sent: the transcript
            plus the conversation's system messages (checked before any model call).

    Returns:
        A Runnable named ``s2a_conversation``.

    Raises:
        S2AInputError: (when run) If the conversation is empty, has no human
            turn, ends in an AI turn, or is over ``max_input_chars``.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> model = GenericFakeChatModel(messages=iter([
        ...     "Context: none\\nQuestion: Who wrote Hamlet?", "Shakespeare.",
        ... ]))
        >>> chain = create_s2a_conversation_chain(model, timeout=30, max_attempts=2)
        >>> turns = [HumanMessage("Hi."), AIMessage("Hello."), HumanMessage("Who wrote Hamlet?")]
        >>> chain.invoke(turns).answer
        'Shakespeare.'
        >>> chain.invoke([*turns, AIMessage("Shakespeare.")])
        Traceback (most recent call last):
        ...
        langchain_s2a.errors.S2AInputError: the conversation ends in an AI turn; ...
    """
    answer_model = resolve_chat_model(model)
    rewriter = resolve_rewriter(
        rewriter,
        answer_model,
        factory="create_s2a_conversation_chain",
        rewriter_model=None if rewriter_model is None else resolve_chat_model(rewriter_model),
        timeout=timeout,
        max_attempts=max_attempts,
        options=options,
    )
    # The rewriter's own settings frame the transcript (its labels and its limit).
    language, max_input_chars = rewriter.language, rewriter.max_input_chars
    chain = create_s2a_chain(
        answer_model,
        rewriter=rewriter,
        instructed=instructed,
        answer_format=answer_format,
        timeout=timeout,
        max_attempts=max_attempts,
        max_retries=max_retries,
    )

    def to_chain_input(value: Any) -> list[BaseMessage]:
        messages = _as_messages(value)
        if not messages:
            raise S2AInputError("the conversation is empty")
        turns = [m for m in messages if m.type in _ROLES["en"]]
        if turns and turns[-1].type == "ai":
            raise S2AInputError(
                "the conversation ends in an AI turn; its last turn must be the user's "
                "(or a tool result) for S2A to answer it"
            )
        transcript = format_transcript(
            messages,
            language=language,
            include_assistant=include_assistant,
            max_turns=max_turns,
            header=False,  # framing, not the user's text: never a sentence to keep
        )
        system = [m for m in messages if m.type == "system"]
        sent = len(transcript) + sum(len(m.text) for m in system)
        if sent > max_input_chars:
            raise S2AInputError(
                f"the conversation sent is {sent:,} characters (transcript and system "
                f"messages), over max_input_chars={max_input_chars:,}; shorten it, use "
                "max_turns, or raise the limit (it is never truncated silently)"
            )
        return [*system, HumanMessage(transcript)]

    prepare = RunnableLambda(to_chain_input, name="s2a_transcript")
    return (prepare | chain).with_config(run_name="s2a_conversation")
