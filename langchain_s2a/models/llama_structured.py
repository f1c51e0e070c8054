"""``StructuredChatLocalLlama``: the embedded model with ``with_structured_output``.

Kept apart from :class:`~langchain_s2a.models.llama.ChatLocalLlama` on purpose: code that
chooses a path by whether a model has structured output (the S2A rewriter's
``structured_output="auto"``) keeps treating the plain class as before.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage

from langchain_s2a.models.llama import ChatLocalLlama

__all__ = ["StructuredChatLocalLlama"]


class StructuredChatLocalLlama(ChatLocalLlama):
    """:class:`ChatLocalLlama` with ``with_structured_output`` by a JSON-schema grammar.

    The reply is constrained by llama.cpp to JSON matching the schema (the schema
    is not added to the prompt), then parsed. A separate class, so that code which
    switches paths on whether a model has structured output (the S2A rewriter's
    ``structured_output="auto"``) keeps treating :class:`ChatLocalLlama` as it did;
    use this one where a component requires the method, such as LangChain's
    ``LLMListwiseRerank``: ``StructuredChatLocalLlama(**llm.model_dump())`` shares
    the loaded weights.

    Example:
        >>> from pydantic import BaseModel
        >>> class Ranking(BaseModel):
        ...     ids: list[int]
        >>> llm = StructuredChatLocalLlama(model_path="m.gguf")
        >>> chain = llm.with_structured_output(Ranking)  # llm.invoke(...) -> Ranking
    """

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Any:
        """A runnable replying with ``schema`` (a pydantic class or a JSON schema dict).

        Args:
            schema: The output schema.
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of
                raising on a reply that does not parse.
            **kwargs: ``method="json_schema"`` only (the one method there is).

        Raises:
            ValueError: For another ``method`` or unknown options.
        """
        import json

        from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
        from langchain_core.runnables import RunnableLambda
        from langchain_core.utils.function_calling import convert_to_json_schema
        from llama_cpp.llama_grammar import json_schema_to_gbnf
        from pydantic import BaseModel

        method = kwargs.pop("method", "json_schema")
        if method != "json_schema" or kwargs:
            raise ValueError(
                f"StructuredChatLocalLlama supports method='json_schema' only: {kwargs}"
            )
        grammar = json_schema_to_gbnf(json.dumps(convert_to_json_schema(schema)))
        bound = self.bind(grammar=grammar)
        pydantic_schema = isinstance(schema, type) and issubclass(schema, BaseModel)
        parser: Any = (
            PydanticOutputParser(pydantic_object=schema) if pydantic_schema else JsonOutputParser()
        )
        if not include_raw:
            return bound | parser

        def parse(raw: BaseMessage) -> dict[str, Any]:
            try:
                return {"raw": raw, "parsed": parser.invoke(raw), "parsing_error": None}
            except Exception as exc:  # returned, as include_raw promises
                return {"raw": raw, "parsed": None, "parsing_error": exc}

        return bound | RunnableLambda(parse)
