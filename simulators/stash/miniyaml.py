"""A small YAML reader for plugin manifests.

PyYAML is not a dependency of the project, and manifests use a narrow part of YAML: block mappings and sequences,
flow `[...]`/`{...}` collections, quoted and plain scalars, `|`/`>` block scalars and comments. Scalars stay strings
(Stash decodes every manifest field into Go strings), `~`/`null`/empty become None. Duplicate keys are an error, as
in yaml.v2 strict mode. Anything outside this subset raises YamlError, so the simulator reports the plugin as failed
to load rather than guessing.
"""

from __future__ import annotations

import json
from typing import Any


class YamlError(ValueError):
    """The document is not YAML this reader understands (the plugin then fails to load)."""


def loads(text: str) -> Any:
    lines = text.replace("\r\n", "\n").replace("\t", "    ").split("\n")
    parser = _Parser(lines)
    value = parser.block(0)
    parser.skip_blank()
    if parser.pos < len(lines):
        raise YamlError(f"line {parser.pos + 1}: unexpected content {lines[parser.pos].strip()!r}")
    return value


def _strip_comment(text: str) -> str:
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _split_flow(body: str) -> list[str]:
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(body):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return [p.strip() for p in parts if p.strip()]


def _key_split(text: str) -> tuple[str, str] | None:
    """Splits `key: rest` at the first mapping colon outside quotes and brackets."""
    quote, depth = None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and i == 0:
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == ":" and depth == 0 and (i + 1 == len(text) or text[i + 1] == " "):
            return text[:i].strip(), text[i + 1:].strip()
    return None


def scalar(text: str) -> Any:
    text = text.strip()
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise YamlError(f"unterminated string {text!r}")
        try:
            return json.loads(text)
        except ValueError as exc:
            raise YamlError(f"bad double-quoted string {text!r}") from exc
    if text.startswith("'"):
        if not text.endswith("'") or len(text) < 2:
            raise YamlError(f"unterminated string {text!r}")
        return text[1:-1].replace("''", "'")
    if text.startswith("["):
        if not text.endswith("]"):
            raise YamlError(f"unterminated flow sequence {text!r}")
        return [scalar(p) for p in _split_flow(text[1:-1])]
    if text.startswith("{"):
        if not text.endswith("}"):
            raise YamlError(f"unterminated flow mapping {text!r}")
        out: dict[str, Any] = {}
        for part in _split_flow(text[1:-1]):
            kv = _key_split(part)
            if kv is None:
                raise YamlError(f"bad flow mapping entry {part!r}")
            _put(out, scalar(kv[0]), scalar(kv[1]))
        return out
    if text[0] in "&*!%@`|>":
        raise YamlError(f"unsupported YAML construct {text!r}")
    return text


def _put(mapping: dict, key: Any, value: Any) -> None:
    if not isinstance(key, str):
        raise YamlError(f"mapping key must be a string, got {key!r}")
    if key in mapping:
        raise YamlError(f"duplicate key {key!r}")
    mapping[key] = value


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def skip_blank(self) -> None:
        while self.pos < len(self.lines) and not _strip_comment(self.lines[self.pos]).strip():
            self.pos += 1

    def peek(self) -> tuple[int, str] | None:
        self.skip_blank()
        if self.pos >= len(self.lines):
            return None
        line = _strip_comment(self.lines[self.pos])
        return _indent(line), line.strip()

    def block(self, min_indent: int) -> Any:
        head = self.peek()
        if head is None or head[0] < min_indent:
            return None
        indent, content = head
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        if _key_split(content) is not None:
            return self.mapping(indent)
        self.pos += 1
        return self.continue_plain(content, indent)

    def sequence(self, indent: int) -> list:
        items = []
        while True:
            head = self.peek()
            if head is None or head[0] < indent:
                return items
            if head[0] > indent or not (head[1] == "-" or head[1].startswith("- ")):
                raise YamlError(f"line {self.pos + 1}: bad sequence indentation")
            rest = head[1][1:].strip()
            if not rest:
                self.pos += 1
                items.append(self.block(indent + 1))
                continue
            # "- key: value" opens a mapping whose keys sit at the column after "- ".
            item_indent = indent + 2
            if _key_split(rest) is not None and not rest.startswith(("[", "{", '"', "'")):
                self.lines[self.pos] = " " * item_indent + rest
                items.append(self.mapping(item_indent))
            else:
                self.pos += 1
                items.append(self.value_after(rest, indent))

    def mapping(self, indent: int) -> dict:
        out: dict[str, Any] = {}
        while True:
            head = self.peek()
            if head is None or head[0] < indent:
                return out
            if head[0] > indent:
                raise YamlError(f"line {self.pos + 1}: bad mapping indentation")
            kv = _key_split(head[1])
            if kv is None:
                raise YamlError(f"line {self.pos + 1}: expected 'key: value', got {head[1]!r}")
            self.pos += 1
            key, rest = scalar(kv[0]), kv[1]
            if rest:
                _put(out, key, self.value_after(rest, indent))
                continue
            nxt = self.peek()
            if nxt is not None and (nxt[0] > indent or (nxt[0] == indent and nxt[1].startswith("- "))):
                _put(out, key, self.block(nxt[0]))
            else:
                _put(out, key, None)

    def value_after(self, rest: str, indent: int) -> Any:
        if rest[0] in "|>":
            return self.block_scalar(rest, indent)
        if rest[0] in "[{":
            opener, closer = rest[0], "]" if rest[0] == "[" else "}"
            while rest.count(opener) > rest.count(closer) and self.pos < len(self.lines):
                rest += " " + _strip_comment(self.lines[self.pos]).strip()
                self.pos += 1
            return scalar(rest)
        return self.continue_plain(rest, indent)

    def continue_plain(self, text: str, indent: int) -> Any:
        """Plain scalars may fold onto more-indented following lines."""
        if text[0] in "\"'":
            return scalar(text)
        parts = [text]
        while True:
            head = self.peek()
            if head is None or head[0] <= indent:
                break
            parts.append(head[1])
            self.pos += 1
        return scalar(" ".join(parts))

    def block_scalar(self, header: str, indent: int) -> str:
        folded = header[0] == ">"
        chomp = "strip" if "-" in header else ("keep" if "+" in header else "clip")
        body: list[str] = []
        block_indent = None
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            if raw.strip():
                ind = _indent(raw)
                if block_indent is None:
                    block_indent = ind
                if ind < block_indent or ind <= indent:
                    break
                body.append(raw[block_indent:])
            else:
                body.append("")
            self.pos += 1
        while body and body[-1] == "" and chomp != "keep":
            body.pop()
        text = " ".join(body) if folded else "\n".join(body)
        return text if chomp == "strip" else text + "\n"
