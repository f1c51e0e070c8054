"""Every docstring example in the package is executed."""

import doctest
import importlib
import pkgutil

import pytest

import langchain_s2a

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(langchain_s2a.__path__, "langchain_s2a.")
    if not m.name.endswith("huggingface_model")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
