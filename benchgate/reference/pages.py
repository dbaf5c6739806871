"""The Markdown reference of a subject, read off its JSON Schema so that both always agree.

Walking the schema instead of the models keeps this generic: any model, alias, constraint,
union or map pydantic can express arrives here already resolved to plain JSON Schema. Each
object gets a section, depth-first in field order (`scenarios.<name>`, then its `judge`, ...),
with one table row per key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from benchgate.reference.schema import document
from benchgate.reference.subjects import REFERENCES, Reference, Subject

NULL = {"type": "null"}
ENTRY = "<name>"
"""Stands for a map's keys in a section's path: `scenarios.<name>.metrics.<name>`."""


@dataclass(frozen=True)
class _Section:
    path: str
    variant: str | None
    schema: dict[str, Any]

    @property
    def anchor(self) -> str:
        return _anchor(self.path, self.variant)


@dataclass
class _Walk:
    """Each model is documented once, at the first key that holds it; later ones link there."""

    defs: dict[str, Any]
    placed: dict[str, _Section] = field(default_factory=dict)
    fresh: list[_Section] = field(default_factory=list)
    """Sections placed while rendering the current one: its children, rendered right after it."""

    def place(self, ref: str, path: str, variant: str | None) -> _Section:
        name = ref.rsplit("/", 1)[-1]
        if name not in self.placed:
            self.placed[name] = _Section(path, variant, self.defs[name])
            self.fresh.append(self.placed[name])
        return self.placed[name]

    def inline(self, section: _Section) -> _Section:
        self.fresh.append(section)
        return section


def markdown(subject: Subject) -> str:
    """The reference page of `subject`: intro, worked example, then every key, section by section."""
    return page(REFERENCES[subject])


def page(reference: Reference) -> str:
    """`markdown` of any documented model."""
    schema = document(reference)
    walk = _Walk(schema.get("$defs", {}))
    blocks = [
        f"# {reference.heading}",
        f"<!-- Generated from the docstrings in {reference.source} by "
        f"`{reference.command} > {reference.doc}`; edit those, then rerun it. -->",
        reference.intro,
        "## Example",
        reference.example_intro,
        f"```{reference.example_language}\n{reference.example.rstrip()}\n```",
        "## Keys",
        *_sections(walk, _Section("", None, schema), reference.root),
    ]
    return "\n\n".join(blocks) + "\n"


def _sections(walk: _Walk, section: _Section, root: str) -> list[str]:
    """`section`, then depth-first each section first placed by one of its keys, in key order."""
    walk.fresh = []
    blocks = [_table(walk, section, root)]
    children = walk.fresh
    for child in children:
        blocks += _sections(walk, child, root)
    return blocks


def _table(walk: _Walk, section: _Section, root: str) -> str:
    heading = f"`{section.path}`" if section.path else root
    if section.variant:
        heading += f" with `{section.variant}`"
    lines = [f'<a id="{section.anchor}"></a>', "", f"### {heading}", ""]
    if section.schema.get("description"):
        lines += [section.schema["description"], ""]
    lines += ["| Key | Type | Values | Default | Description |", "| --- | --- | --- | --- | --- |"]
    required = set(section.schema.get("required", []))
    for key, node in section.schema.get("properties", {}).items():
        path = f"{section.path}.{key}" if section.path else key
        kind, values = _shape(walk, node, path)
        cells = [f"`{key}`", kind, "; ".join(values), _default(node, key in required), _text(node)]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    if section.schema.get("additionalProperties") is False:
        lines += ["", "No other keys are allowed."]
    return "\n".join(lines)


def _shape(walk: _Walk, node: dict[str, Any], path: str) -> tuple[str, list[str]]:
    """A value's type in words, and what it may be (ranges, choices, links to nested sections)."""
    if "$ref" in node:
        return "object", [_link(walk.place(node["$ref"], path, None))]
    options = node.get("anyOf") or node.get("oneOf")
    if options:
        return _union(walk, node, options, path)
    if "enum" in node:
        return _type_name(node, node["enum"]), ["one of " + ", ".join(_code(v) for v in node["enum"])]
    if "const" in node:
        return _type_name(node, [node["const"]]), ["exactly " + _code(node["const"])]
    kind = node.get("type")
    if kind == "object":
        return _object(walk, node, path)
    if kind == "array":
        inner, values = _shape(walk, node.get("items", {}), f"{path}[]")
        return f"list of {inner}", [
            *_each(node.get("items", {}), values),
            *_counts(node, "minItems", "maxItems", "item"),
        ]
    if isinstance(kind, list):
        return " or ".join(kind), []
    if kind is None:
        return "any", []
    return kind, _limits(node)


def _union(
    walk: _Walk, node: dict[str, Any], options: list[dict[str, Any]], path: str
) -> tuple[str, list[str]]:
    rest = [option for option in options if option != NULL]
    labels = _variant_labels(walk, node, rest)
    kinds: list[str] = []
    values: list[str] = []
    for option, label in zip(rest, labels, strict=True):
        if label is not None:
            kinds.append("object")
            values.append(_link(walk.place(option["$ref"], path, label), label))
            continue
        kind, more = _shape(walk, option, path)
        kinds.append(kind)
        values += more
    names = list(dict.fromkeys(kinds)) + (["null"] if len(rest) < len(options) else [])
    compound = len(names) > 1 and any(" " in name for name in names)
    return (", or " if compound else " or ").join(names), values


def _variant_labels(walk: _Walk, node: dict[str, Any], options: list[dict[str, Any]]) -> list[str | None]:
    """Names for several models allowed at one key: `type: regex` when discriminated, else titles."""
    refs = [option for option in options if "$ref" in option]
    if len(refs) < 2:
        return [None] * len(options)
    tag = node.get("discriminator", {}).get("propertyName")
    labels: list[str | None] = []
    for option in options:
        if "$ref" not in option:
            labels.append(None)
            continue
        target = walk.defs[option["$ref"].rsplit("/", 1)[-1]]
        const = target.get("properties", {}).get(tag, {}).get("const") if tag else None
        labels.append(f"{tag}: {const}" if const is not None else target.get("title", "object"))
    return labels


def _object(walk: _Walk, node: dict[str, Any], path: str) -> tuple[str, list[str]]:
    if "properties" in node:  # an inline model (e.g. a TypedDict): documented in place like one
        return "object", [_link(walk.inline(_Section(path, None, node)))]
    entries = node.get("additionalProperties")
    if not isinstance(entries, dict) or not entries:
        return "object (any keys)", []
    inner, values = _shape(walk, entries, f"{path}.{ENTRY}")
    names = node.get("propertyNames", {}).get("pattern")
    keys = [f"names match `{names}`"] if names else []
    counts = _counts(node, "minProperties", "maxProperties", "entry")
    return f"map of name → {inner}", [*keys, *counts, *_each(entries, values)]


def _each(item: dict[str, Any], values: list[str]) -> list[str]:
    """An item's own constraints said of every item; links to an item's section stay as they are."""
    if any(key in item for key in ("$ref", "anyOf", "oneOf", "properties")):
        return values
    return [f"each {value}" for value in values]


def _limits(node: dict[str, Any]) -> list[str]:
    found: list[str] = []
    low = _bound(node, "minimum", "≤") or _bound(node, "exclusiveMinimum", "<")
    high = _bound(node, "maximum", "≤") or _bound(node, "exclusiveMaximum", "<")
    if low and high:
        found.append(f"{low[0]} {low[1]} x {high[1]} {high[0]}")
    elif low:
        found.append(f"{'≥' if low[1] == '≤' else '>'} {low[0]}")
    elif high:
        found.append(f"{high[1]} {high[0]}")
    if node.get("minLength") == 1:
        found.append("not empty")
        node = {key: value for key, value in node.items() if key != "minLength"}
    found += _counts(node, "minLength", "maxLength", "character")
    if "pattern" in node:
        found.append(f"matches `{node['pattern']}`")
    return found


def _bound(node: dict[str, Any], key: str, sign: str) -> tuple[str, str] | None:
    return (json.dumps(node[key]), sign) if key in node else None


def _counts(node: dict[str, Any], least: str, most: str, noun: str) -> list[str]:
    found = []
    for key, word in ((least, "at least"), (most, "at most")):
        if node.get(key):
            count = node[key]
            found.append(f"{word} {count} {noun if count == 1 else _plural(noun)}")
    return found


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def _type_name(node: dict[str, Any], values: list[Any]) -> str:
    if "type" in node:
        return str(node["type"])
    kinds = {type(value) for value in values}
    return "string" if kinds == {str} else "value"


def _default(node: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" not in node:
        return ""
    value = node["default"]
    return "each key's default" if isinstance(value, dict) and value else _code(value)


def _code(value: Any) -> str:
    return f"`{value}`" if isinstance(value, str) and value else f"`{json.dumps(value, ensure_ascii=False)}`"


def _link(section: _Section, label: str | None = None) -> str:
    if label:
        return f"[`{label}`](#{section.anchor})"
    variant = f" with `{section.variant}`" if section.variant else ""
    return f"see [`{section.path or 'top level'}`{variant}](#{section.anchor})"


def _anchor(path: str, variant: str | None) -> str:
    text = " ".join(part for part in (path or "top level", variant) if part)
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")


def _text(node: dict[str, Any]) -> str:
    return str(node.get("description", ""))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
