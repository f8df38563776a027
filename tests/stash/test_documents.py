"""Every document the plugin sends validates against the real Stash v0.30.1 schema (read from ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from stash.queries import ALL_DOCUMENTS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "stash-schema"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    files = sorted(SCHEMA_DIR.rglob("*.graphql"))
    if not files:
        pytest.skip(f"Stash schema copy not found under {SCHEMA_DIR.resolve()} (third-party data, not in the repo)")
    return build_schema("\n".join(f.read_text(encoding="utf-8") for f in files))


def _errors(schema: GraphQLSchema, document: str) -> list:
    return [e.message for e in validate(schema, parse(document))]


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_document_is_valid_against_real_schema(schema: GraphQLSchema, name: str) -> None:
    assert _errors(schema, ALL_DOCUMENTS[name]) == []


def test_document_names_match_operation_names() -> None:
    for name, text in ALL_DOCUMENTS.items():
        assert parse(text).definitions[0].name.value == name


def test_misspelled_field_fails_validation(schema: GraphQLSchema) -> None:
    broken = ALL_DOCUMENTS["FindScenesPage"].replace("rating100", "rating101")
    assert any("rating101" in e for e in _errors(schema, broken))


def test_field_removed_in_v024_fails_validation(schema: GraphQLSchema) -> None:
    broken = ALL_DOCUMENTS["FindScene"].replace("updated_at", "updated_at path")
    assert any("'path'" in e for e in _errors(schema, broken))
