"""Backward-compatibility rules between two JSON Schemas of the same event version."""

from __future__ import annotations

from typing import Any

# Documentation only: editing them never affects what is valid on the wire.
_DOC_KEYWORDS = frozenset({"title", "description", "examples"})
# Values that are data, not schemas: copied verbatim so a default like {"title": ...} survives.
_DATA_KEYWORDS = frozenset({"default", "const", "enum", "example"})
# Maps from user-chosen names to schemas: their keys are names (a field may be called
# "description"), never keywords.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why a consumer written against ``old`` could break on ``new``; empty when compatible.

    Breaking: a property removed, a property whose schema changed (documentation keywords
    aside), a property that became required (including a new required property).
    """
    old_props = {k: _normalize(v, old) for k, v in old.get("properties", {}).items()}
    new_props = {k: _normalize(v, new) for k, v in new.get("properties", {}).items()}
    old_required = set(old.get("required", ()))
    reasons: list[str] = []
    for name, schema in old_props.items():
        if name not in new_props:
            reasons.append(f"property '{name}' was removed")
        elif new_props[name] != schema:
            reasons.append(f"property '{name}' changed its schema")
    for name in new.get("required", ()):
        if name in old_required:
            continue
        if name in old_props:
            reasons.append(f"property '{name}' became required")
        else:
            reasons.append(f"new property '{name}' is required")
    return reasons


def _normalize(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with documentation dropped and local ``$ref``s inlined, for comparison."""
    if isinstance(node, list):
        return [_normalize(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(ref := node.get("$ref"), str) and ref.startswith("#/"):
        if ref in seen:  # recursive model: compare the reference, not an infinite tree
            return {"$ref": ref}
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _normalize({**_resolve(root, ref), **siblings}, root, (*seen, ref))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DOC_KEYWORDS:
            continue
        if key in _DATA_KEYWORDS:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _normalize(sub, root, seen) for name, sub in value.items()}
        else:
            out[key] = _normalize(value, root, seen)
    return out


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
