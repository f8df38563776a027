"""Every document the plugin sends validates against the real schema of every Stash it supports (../shared)."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from simulators.shared import LATEST_RELEASE, STASH_SCHEMAS, stash_schema_sdl
from stash.queries import ALL_DOCUMENTS, LATER_DOCUMENTS, find_scenes_by_ids
from tests.fixtures.shared import shared_or_skip

_SCHEMAS: dict[str, GraphQLSchema] = {}


def schema_of(version: str) -> GraphQLSchema:
    if version not in _SCHEMAS:
        _SCHEMAS[version] = build_schema(shared_or_skip(lambda: stash_schema_sdl(version)))
    return _SCHEMAS[version]


def _errors(schema: GraphQLSchema, document: str) -> list:
    return [e.message for e in validate(schema, parse(document))]


@pytest.mark.parametrize("version", list(STASH_SCHEMAS))
@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_document_is_valid_on_every_supported_stash(version: str, name: str) -> None:
    assert _errors(schema_of(version), ALL_DOCUMENTS[name]) == []


@pytest.mark.parametrize("count", [1, 100, 500])
def test_scene_batches_of_any_size_are_valid_on_the_oldest(count: int) -> None:
    assert _errors(schema_of("v0.24.0"), find_scenes_by_ids(count)) == []


def test_document_names_match_operation_names() -> None:
    for name, text in ALL_DOCUMENTS.items():
        assert parse(text).definitions[0].name.value == name


def test_misspelled_field_fails_validation() -> None:
    broken = ALL_DOCUMENTS["FindScenesPage"].replace("rating100", "rating101")
    assert any("rating101" in e for e in _errors(schema_of(LATEST_RELEASE), broken))


def test_what_v024_lacks_fails_validation_there() -> None:
    """Guards the guard: the v0.24 copy does refuse the forms the plugin avoids."""
    ids_form = "query($ids: [ID!]) { findScenes(ids: $ids) { count } }"
    assert _errors(schema_of(LATEST_RELEASE), ids_form) == []
    assert any("'ids'" in e for e in _errors(schema_of("v0.24.0"), ids_form))


@pytest.mark.parametrize("version", list(STASH_SCHEMAS))
@pytest.mark.parametrize("name", sorted(LATER_DOCUMENTS))
def test_later_documents_are_valid_from_their_version_and_refused_before(version: str, name: str) -> None:
    """sceneAddPlay (moving plays to Stash) came in v0.25.0: older servers refuse it, and the client says so."""
    document, since = LATER_DOCUMENTS[name]
    ordered = list(STASH_SCHEMAS)
    errors = _errors(schema_of(version), document)
    assert (errors == []) == (ordered.index(version) >= ordered.index(since)), errors
