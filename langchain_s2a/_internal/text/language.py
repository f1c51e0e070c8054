"""Language detection by script: which prompt language an input gets."""

from __future__ import annotations

import re

from langchain_s2a.options import Language

__all__ = ["detect_language"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A run of capitalised words (a name or title) counts as one word.
_LATIN_WORD = re.compile(r"[A-Z][A-Za-z]*(?:[ \t-]+[A-Z][A-Za-z]*)*|[A-Za-z]+")


def detect_language(text: str) -> Language:
    """Guess whether ``text`` is Chinese or English by its script.

    The script with more words wins: Han characters are counted against Latin
    words, a Chinese word taken as 1.5 Han characters, and a run of capitalised
    Latin words (a name or title such as "Barack Obama") counted as one word.
    So a Chinese question that quotes an English name is Chinese, and an English
    question that quotes a Chinese name is English. Ties go to English.

    Args:
        text: Any text.

    Returns:
        ``"zh"`` or ``"en"``.

    Example:
        >>> detect_language("What is 澳大利亚的首都? I think it's 悉尼 but not sure.")
        'en'
        >>> detect_language("谁是Barack Obama的妻子？")
        'zh'

    """
    han = len(_CJK.findall(text))
    latin_words = len(_LATIN_WORD.findall(text))
    return "zh" if han > 1.5 * latin_words else "en"
