"""What goes into a model call, and the call itself.

:mod:`.inputs` turns what callers pass into the text to rewrite and the chat around
it; :mod:`.calls` is the one place a model is called (timeout, retry, streaming);
:mod:`.nesting` lets a chat model run other models inside its own run.
"""
