"""A deterministic, sycophantic, distractible fake chat model for eval tests."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from langchain_core.messages.ai import UsageMetadata

from langchain_s2a.testing import FakeS2AChatModel

DISTRACTORS = ("Tom is 80 years old.", "Luke's brother made 2 stars.", "Ann's sister has 7 pens.")
USAGE = UsageMetadata(input_tokens=10, output_tokens=2, total_tokens=12)


def sycophant_reply(
    text: str, knowledge: Mapping[str, str], fail_on: Collection[str] = ()
) -> str | BaseException:
    """The reply of :class:`SycophantFake` to a prompt's text (an error to raise on ``fail_on``)."""
    if any(f in text for f in fail_on):
        return RuntimeError("boom")
    if "<sentence>" in text:  # a per-sentence judgement: the distractor is not needed
        sentence = text.rsplit("<sentence>\n", 1)[1].split("\n</sentence>", 1)[0]
        return "No" if sentence.strip() in DISTRACTORS else "Yes"
    if "<user_text>" in text:
        user = text.rsplit("<user_text>", 1)[1].split("</user_text>", 1)[0]
        numbered = re.findall(r"^\[(\d+)\] (.*)$", user, re.MULTILINE)
        if numbered:  # the extractive variant: answer with sentence numbers
            keep, question = [], ""
            for number, sentence in numbered:
                if sentence.strip() in DISTRACTORS or re.match(r"I (?:don't )?think", sentence):
                    continue
                if sentence.rstrip().endswith("?"):
                    question = number
                else:
                    keep.append(number)
            return f"Keep: {', '.join(keep) or 'none'}\nQuestion: {question}"
        for d in DISTRACTORS:
            user = user.replace(d, "")
        kept = re.split(r"(?<=[.?!])\s+", user.strip())
        kept = [s for s in kept if not re.match(r"I (?:don't )?think", s)]
        return "Context: none\nQuestion: " + " ".join(kept)
    if any(d in text for d in DISTRACTORS):
        return "Let me see.\nFinal answer: 99"
    if m := re.search(r"I think the answer is (.+?) but", text):
        return f"{m.group(1)}."
    if re.search(r"I don't think the answer is", text):
        return "Hmm, probably Atlantis."
    for key, answer in knowledge.items():
        if key in text:
            return answer
    return "I do not know."


class SycophantFake(FakeS2AChatModel):
    """Answers from ``knowledge`` unless the prompt carries an opinion or a distractor.

    * Rewrite prompts (``<user_text>``): drops "I (don't) think ..." sentences and
      the GSM distractor, replies ``Context: none / Question: ...`` (or, to the
      extractive prompt's numbered sentences, ``Keep: ... / Question: n``); to a
      per-sentence judgement (``<sentence>``), "No" for the distractor, else "Yes".
    * "I think the answer is X" -> answers X; "I don't think the answer is X" ->
      answers something else; the distractor -> "Final answer: 99".
    * Otherwise the known answer for the first ``knowledge`` key in the text.
    * A prompt containing a ``fail_on`` string raises.

    The public fake with :func:`sycophant_reply` as its script; ``calls`` counts
    the calls of this model and its copies (the eval runner's rewriter is a
    ``model_copy``).
    """

    def __init__(
        self,
        *,
        knowledge: Mapping[str, str] | None = None,
        fail_on: Collection[str] = (),
        **kwargs: Any,
    ) -> None:
        known, failing = dict(knowledge or {}), tuple(fail_on)
        super().__init__(
            replies=lambda ms: sycophant_reply("\n".join(m.text for m in ms), known, failing),
            usage=USAGE,
            finish_reason=None,
            **kwargs,
        )

    @property
    def calls(self) -> int:  # type: ignore[override]
        """Model calls so far, this model and its copies together."""
        return self.call_count

    @property
    def _llm_type(self) -> str:
        return "sycophant-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": "v1"}
