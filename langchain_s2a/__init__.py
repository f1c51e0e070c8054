"""System 2 Attention (S2A) for LangChain and LangGraph.

S2A (Weston & Sukhbaatar, arXiv 2311.11829) answers in two model calls: first the
input is rewritten to keep only unbiased, relevant context and the question, then
the model answers from the rewrite alone.

Example:
    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> from langchain_s2a import create_s2a_chain
    >>> model = GenericFakeChatModel(messages=iter([
    ...     "Context: none\\nQuestion: What is the capital of Australia?",
    ...     "Canberra.",
    ... ]))
    >>> create_s2a_chain(model).invoke(
    ...     "What is the capital of Australia? I think it's Sydney but I'm not sure."
    ... ).answer
    'Canberra.'

"""

from langchain_s2a._internal.rules.ladder import REWRITE_RULES_VERSION
from langchain_s2a.agents import S2AAgentState, S2AMiddleware, S2ATool, S2AToolInput
from langchain_s2a.chain import S2AChain, create_s2a_chain
from langchain_s2a.chat_model import S2AChatModel
from langchain_s2a.conversation import create_s2a_conversation_chain, format_transcript
from langchain_s2a.errors import S2AError, S2AInputError, S2ARewriteError
from langchain_s2a.graph import S2AContext, S2AState, build_s2a_graph
from langchain_s2a.models import resolve_chat_model
from langchain_s2a.models.llama import load_local_chat_model
from langchain_s2a.prompts import PROMPT_VERSION
from langchain_s2a.rag import S2ADocumentCompressor, create_s2a_document_cleaner
from langchain_s2a.result import S2AResult, S2AResultChunk, S2ARewrite
from langchain_s2a.rewriter import S2ARewriter

__all__ = [
    "PROMPT_VERSION",
    "REWRITE_RULES_VERSION",
    "S2AAgentState",
    "S2AChain",
    "S2AChatModel",
    "S2AContext",
    "S2ADocumentCompressor",
    "S2AError",
    "S2AInputError",
    "S2AMiddleware",
    "S2AResult",
    "S2AResultChunk",
    "S2ARewrite",
    "S2ARewriteError",
    "S2ARewriter",
    "S2AState",
    "S2ATool",
    "S2AToolInput",
    "build_s2a_graph",
    "create_s2a_chain",
    "create_s2a_conversation_chain",
    "create_s2a_document_cleaner",
    "format_transcript",
    "load_local_chat_model",
    "resolve_chat_model",
]
