"""Every model-facing text of S2A, in English and Chinese.

The rewrite and answer steps' texts (:func:`get_prompts`), the RAG compressor's
selection prompt (:func:`selection_prompt`) and the conversation chain's
transcript labels (:data:`TRANSCRIPT_ROLES`, :data:`TRANSCRIPT_HEADER`) live here;
our English texts in ``_en.py``, the Chinese ones in ``_zh.py``, the paper's own
prompts in ``_paper.py``.

The wording is our own. Two presets follow the paper's two settings:

* ``"opinion"`` removes the user's opinions, guesses and pressure about the answer
  (the paper's factual-QA setting, Sec. 4.1).
* ``"relevance"`` removes sentences that do not help answer the question (the
  paper's GSM-IC math setting, Sec. 4.3).

The user's text is always delimited as data (``<user_text>`` … ``</user_text>``)
and the rewriter is told never to follow instructions inside it. This package holds
texts and the functions that fill them in; it reads no reply and applies no rule.

Example:
    >>> get_prompts("relevance", "zh").question_label
    '问题'

"""

from __future__ import annotations

from langchain_s2a.options import Language, Preset, PromptStyle
from langchain_s2a.prompts import _en, _zh
from langchain_s2a.prompts._agents import TOOL_DESCRIPTION, TOOL_NOTHING_RELEVANT
from langchain_s2a.prompts._conversation import TRANSCRIPT_HEADER, TRANSCRIPT_ROLES
from langchain_s2a.prompts._paper import paper_prompts
from langchain_s2a.prompts._rag import selection_prompt
from langchain_s2a.prompts._set import PromptSet

__all__ = [
    "PROMPT_VERSION",
    "TOOL_DESCRIPTION",
    "TOOL_NOTHING_RELEVANT",
    "TRANSCRIPT_HEADER",
    "TRANSCRIPT_ROLES",
    "PromptSet",
    "get_prompts",
    "selection_prompt",
]

PROMPT_VERSION = "2026-12-01.6"
"""Changes whenever any prompt text changes; evaluation caches key on it."""


_PROMPTS: dict[tuple[Preset, Language], PromptSet] = {
    ("opinion", "en"): _en.OPINION,
    ("relevance", "en"): _en.RELEVANCE,
    ("opinion", "zh"): _zh.OPINION,
    ("relevance", "zh"): _zh.RELEVANCE,
}


def get_prompts(preset: Preset, language: Language, style: PromptStyle = "ours") -> PromptSet:
    """Return the prompt texts for a preset and language.

    Args:
        preset: ``"opinion"`` or ``"relevance"``.
        language: ``"en"`` or ``"zh"``.
        style: ``"ours"`` or ``"paper"`` (the paper's English rewrite prompts and
            its "Answer in an unbiased way." for every language; no system
            message; there is no paper prompt for the extractive variant).

    Returns:
        The matching :class:`PromptSet`.

    Raises:
        ValueError: If the preset or language is unknown.

    Example:
        >>> get_prompts("opinion", "en").question_label
        'Question'

    """
    try:
        prompts = _PROMPTS[(preset, language)]
    except KeyError:
        raise ValueError(
            f"unknown preset/language {preset!r}/{language!r}; presets are 'opinion' and "
            "'relevance', languages 'en', 'zh' (or 'auto')"
        ) from None
    if style == "paper":
        return paper_prompts(prompts, preset)
    if style != "ours":
        raise ValueError(f"unknown prompt style {style!r}; expected 'ours' or 'paper'")
    return prompts
