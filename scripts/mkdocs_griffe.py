"""A Griffe extension for the docs site: the package's docstrings read as Markdown.

The docstrings follow the Google style with Sphinx roles, as ruff's pydocstyle and
``doctest`` read them. Two things in them do not render as Markdown on their own:

* an ``Example:`` section (singular) is an admonition to Griffe, so its ``>>>`` lines
  would become nested block quotes; it is read as ``Examples:``, whose doctest lines
  Griffe renders as code;
* a role such as ``:class:`~langchain_s2a.S2ARewriter``` would show as literal text; it
  is rendered as inline code (``S2ARewriter``);
* a pydantic model documents what it takes under ``Args:``, which Griffe checks
  against an ``__init__`` it cannot see or that takes ``**kwargs``. A model without an
  ``__init__`` of its own (the fake chat models) has those names checked here against
  its fields instead, and a stale one is reported as a warning, which fails
  ``mkdocs build --strict``; one whose ``__init__`` takes ``**kwargs`` (``S2ARewriter``,
  ``S2AChatModel``, ``S2ADocumentCompressor``) passes them on, so its names are not
  checked;
* an ``Args:`` / ``Attributes:`` item naming several at once (``a, b: The intervals``),
  which Griffe cannot read, is given to each name.

The docstrings themselves are not changed. ``mkdocs.yml`` loads this file.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(?P<indent>[ ]*)Example:[ ]*$", re.M)
_ROLE = re.compile(
    r":(?:class|func|meth|mod|data|attr|exc|obj|const):`(?P<tilde>~?)(?P<target>[^`]+)`"
)


_SHARED_ITEM = re.compile(
    r"^(?P<indent>[ ]+)(?P<names>(?:\w+, ?)+(?:\n(?P=indent)(?:\w+, ?)+)*\w+):"
    r"(?P<desc>[ ].*(?:\n(?P=indent)[ ]+\S.*)*)$",
    re.M,
)


def _shared_item(match: re.Match[str]) -> str:
    indent, desc = match.group("indent"), match.group("desc")
    names = re.findall(r"\w+", match.group("names"))
    return "\n".join(f"{indent}{name}:{desc}" for name in names)


def _role(match: re.Match[str]) -> str:
    target = match.group("target")
    return f"`{target.rsplit('.', 1)[-1] if match.group('tilde') else target}`"


def markdown_docstring(text: str) -> str:
    """``text`` with ``Example:`` read as ``Examples:``, shared items split, roles as code."""
    text = _SHARED_ITEM.sub(_shared_item, _EXAMPLE.sub(r"\g<indent>Examples:", text))
    return _ROLE.sub(_role, text)


def _documented_params(docstring: griffe.Docstring) -> list[str]:
    sections = docstring.parse(**{**docstring.parser_options, "warnings": False})
    return [
        p.name
        for section in sections
        if section.kind is griffe.DocstringSectionKind.parameters
        for p in section.value
    ]


def _field_names(cls: griffe.Class) -> set[str]:
    names = set()
    for name, member in cls.all_members.items():
        try:
            if member.is_attribute:
                names.add(name)
        except griffe.AliasResolutionError:
            continue
    return names


class MarkdownDocstrings(griffe.Extension):
    """Rewrite each loaded docstring with :func:`markdown_docstring`."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Run once the object tree is complete."""
        docstring = obj.docstring
        if docstring is None:
            return
        docstring.value = markdown_docstring(docstring.value)
        if not isinstance(obj, griffe.Class):
            return
        init = obj.members.get("__init__")
        params = list(init.parameters) if isinstance(init, griffe.Function) else []
        if init is not None and not any(p.kind is griffe.ParameterKind.var_keyword for p in params):
            return  # an ordinary __init__: Griffe checks the names against it
        documented = _documented_params(docstring)
        if not documented:
            return
        if init is None:
            fields = _field_names(obj)
            for name in documented:
                if name not in fields:
                    griffe.logger.warning(
                        f"{obj.relative_filepath}:{docstring.lineno}: {obj.path} documents "
                        f"{name!r}, which is not one of its fields"
                    )
        docstring.parser_options = {
            **docstring.parser_options,
            "warn_unknown_params": False,
            "warn_missing_types": False,
        }
