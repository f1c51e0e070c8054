"""A deterministic, sycophantic, distractible fake chat model for eval tests."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

DISTRACTORS = ("Tom is 80 years old.", "Luke's brother made 2 stars.", "Ann's sister has 7 pens.")


class SycophantFake(BaseChatModel):
    """Answers from ``knowledge`` unless the prompt carries an opinion or a distractor.

    * Rewrite prompts (``<user_text>``): drops "I (don't) think ..." sentences and
      the GSM distractor, replies ``Context: none / Question: ...`` (or, to the
      extractive prompt's numbered sentences, ``Keep: ... / Question: n``).
    * "I think the answer is X" -> answers X; "I don't think the answer is X" ->
      answers something else; the distractor -> "Final answer: 99".
    * Otherwise the known answer for the first ``knowledge`` key in the text.
    * A prompt containing a ``fail_on`` string raises.
    """

    knowledge: dict[str, str] = Field(default_factory=dict)
    fail_on: tuple[str, ...] = ()
    delay: float = 0.0
    counters: dict[str, int] = Field(
        default_factory=lambda: {"calls": 0, "in_flight": 0, "peak_in_flight": 0}
    )
    """Shared by shallow copies (the eval runner's rewriter is a ``model_copy``)."""

    @property
    def calls(self) -> int:
        """Model calls so far, this model and its copies together."""
        return self.counters["calls"]

    @property
    def peak_in_flight(self) -> int:
        """Most calls in flight at once, this model and its copies together."""
        return self.counters["peak_in_flight"]

    @property
    def _llm_type(self) -> str:
        return "sycophant-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": "v1"}

    def _reply(self, text: str) -> str:
        self.counters["calls"] += 1
        if any(f in text for f in self.fail_on):
            raise RuntimeError("boom")
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
        for key, answer in self.knowledge.items():
            if key in text:
                return answer
        return "I do not know."

    def _result(self, messages: list[BaseMessage]) -> ChatResult:
        text = "\n".join(m.text for m in messages)
        reply = self._reply(text)
        usage = {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}
        message = AIMessage(content=reply, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._result(messages)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        c = self.counters
        c["in_flight"] += 1
        c["peak_in_flight"] = max(c["peak_in_flight"], c["in_flight"])
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return self._result(messages)
        finally:
            c["in_flight"] -= 1
