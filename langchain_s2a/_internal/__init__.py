"""What a user of langchain-s2a never imports: the machinery under the public modules.

Layers, lowest first; a module imports only from its own layer and the layers below it
(``tests/unit_tests/test_layers.py`` checks this, and that no import cycle exists):

1. ``errors``, ``options`` (public): the error types and the option types.
2. :mod:`~langchain_s2a._internal.text`: reading plain text (language, sentences,
   numbers, what each sentence does).
3. ``prompts`` (public): every model-facing text.
4. :mod:`~langchain_s2a._internal.io`: what goes into a model call and the call itself.
5. :mod:`~langchain_s2a._internal.reading`: reading a model's reply.
6. :mod:`~langchain_s2a._internal.rules`: the rules that accept or reject a rewrite.
7. ``result`` (public): the records a step returns.
8. ``models`` (public): the chat models S2A runs on. Nothing below needs a backend: a
   model declares what it can do (``ChatLocalLlama.supports_grammar``).
9. :mod:`~langchain_s2a._internal.pipeline`: the steps of one run (rewrite, retries,
   answer prompt, the graph's state and nodes).
10. the public shells: ``rewriter`` < ``chain`` < ``graph``, ``chat_model``,
    ``conversation``, ``rag``, ``agents``, ``testing`` < ``eval`` < ``cli``.
"""
