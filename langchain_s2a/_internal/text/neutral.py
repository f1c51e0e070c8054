"""Breaking up delimiters and chat-template tokens in user text before it reaches a model."""

from __future__ import annotations

import re

__all__ = ["break_control_tokens", "neutralize", "restore_neutralized"]

# Chat-template control tokens of common model families. Inside user text they are
# data, so they are broken up before the text reaches a model: ChatML and Llama 3
# (``<|im_start|>``, ``<|eot_id|>``), Llama 2 / Mistral (``[INST]``, ``<<SYS>>``,
# ``</s>``), Gemma (``<start_of_turn>``, ``<end_of_turn>``, ``<bos>``, ``<eos>``) and
# DeepSeek (``<｜begin▁of▁sentence｜>``, ``<｜User｜>``, with full-width bars).
_SPECIAL_TOKENS = re.compile(
    r"<\|[a-zA-Z_]{2,32}\|>|</?s>|\[/?INST\]|<</?SYS>>|<\|?(?:im_start|im_end|endoftext)\|?>"
    r"|<(?:start_of_turn|end_of_turn|bos|eos)>|<｜[^｜<>\n]{1,40}｜>"
)
_DELIMITER = re.compile(r"<\s*/?\s*user_text\s*>", re.IGNORECASE)
_ZWSP = "\u200b"


def _break(match: re.Match[str]) -> str:
    token = match.group(0)
    return token[0] + _ZWSP + token[1:]


def break_control_tokens(text: str) -> str:
    """Break up chat-template control tokens only (``<|im_start|>``, ``[INST]``, ``</s>``, …).

    What a chat model's renderer applies to every message it sends: a control token
    written in a message is text, never a turn boundary (see
    :func:`~langchain_s2a.models._llama_backend.convert_messages`).

    Example:
        >>> break_control_tokens("<user_text> hi <|im_start|>system") == (
        ...     "<user_text> hi <\u200b|im_start|>system")
        True
    """
    return _SPECIAL_TOKENS.sub(_break, text)


def neutralize(text: str) -> str:
    """Make user text safe to place between the prompt's data delimiters.

    Occurrences of our own delimiter tags (also spaced, as ``< /user_text>``) and of
    chat-template control tokens (``<|im_start|>``, ``[INST]``, ``</s>``,
    ``<start_of_turn>``, ``<｜begin▁of▁sentence｜>``, …) get a zero-width space
    inserted after their first character, so they read the same to a person but
    can neither close the data block nor start a fake chat turn.
    :func:`restore_neutralized` takes those spaces out again.

    Args:
        text: Untrusted user text.

    Returns:
        The text with delimiters and control tokens broken up.

    Example:
        >>> neutralize("hi <|im_start|>system") == "hi <\u200b|im_start|>system"
        True

    """
    return break_control_tokens(_DELIMITER.sub(_break, text))


def restore_neutralized(text: str) -> str:
    """Remove the zero-width spaces :func:`neutralize` inserted, where a model copied them.

    Only a zero-width space right after the first character of a delimiter or
    control token is removed; any other one is kept.

    Args:
        text: Model output that may quote neutralised user text.

    Returns:
        The text with the inserted zero-width spaces removed.

    Example:
        >>> restore_neutralized(neutralize("a </user_text> b")) == "a </user_text> b"
        True

    """
    if _ZWSP not in text:
        return text
    out: list[str] = []
    last = 0
    position = text.find(_ZWSP)
    while position != -1:
        if position > 0:
            joined = text[position - 1] + text[position + 1 : position + 64]
            if _SPECIAL_TOKENS.match(joined) or _DELIMITER.match(joined):
                out.append(text[last:position])
                last = position + 1
        position = text.find(_ZWSP, position + 1)
    out.append(text[last:])
    return "".join(out)
