import langchain_s2a

EXPECTED_ALL = {
    "PROMPT_VERSION",
    "REWRITE_RULES_VERSION",
    "S2AAgentState",
    "S2ADocumentCompressor",
    "S2AMiddleware",
    "S2ATool",
    "S2AToolInput",
    "create_s2a_conversation_chain",
    "create_s2a_document_cleaner",
    "format_transcript",
    "S2AChain",
    "S2AChatModel",
    "S2AContext",
    "S2AError",
    "S2AInputError",
    "S2AResult",
    "S2AResultChunk",
    "S2ARewrite",
    "S2ARewriteError",
    "S2ARewriter",
    "S2AState",
    "build_s2a_graph",
    "create_s2a_chain",
    "load_local_chat_model",
    "resolve_chat_model",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(langchain_s2a.__all__) == EXPECTED_ALL
    for name in langchain_s2a.__all__:
        assert getattr(langchain_s2a, name) is not None


def test_importing_does_not_load_llama_cpp() -> None:
    import subprocess
    import sys

    code = "import sys, langchain_s2a; print('llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
