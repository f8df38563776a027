"""The simulator's schema is a strict subset of real Stash v0.30.1: same names, same types, fewer of them."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
)

from simulators.shared import LATEST_RELEASE, stash_schema_sdl
from simulators.stash.schema import SDL
from tests.fixtures.shared import shared_or_skip


@pytest.fixture(scope="module")
def real_schema():
    return build_schema(shared_or_skip(lambda: stash_schema_sdl(LATEST_RELEASE)))


@pytest.fixture(scope="module")
def sim_schema():
    return build_schema(SDL)


def _user_types(schema):
    return {name: t for name, t in schema.type_map.items() if not name.startswith("__")}


def test_every_sim_type_field_and_argument_exists_in_real_schema_with_same_type(real_schema, sim_schema):
    problems = []
    for name, sim_type in _user_types(sim_schema).items():
        real_type = real_schema.type_map.get(name)
        if real_type is None:
            problems.append(f"type {name} missing in real schema")
            continue
        if type(real_type) is not type(sim_type):
            problems.append(f"type {name} is {type(sim_type).__name__}, real is {type(real_type).__name__}")
            continue
        if isinstance(sim_type, GraphQLEnumType):
            extra = set(sim_type.values) - set(real_type.values)
            if extra:
                problems.append(f"enum {name} has unknown values {sorted(extra)}")
        if isinstance(sim_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for fname, field in sim_type.fields.items():
                real_field = real_type.fields.get(fname)
                if real_field is None:
                    problems.append(f"{name}.{fname} missing in real schema")
                    continue
                if str(field.type) != str(real_field.type):
                    problems.append(f"{name}.{fname}: {field.type} != real {real_field.type}")
                if field.deprecation_reason != real_field.deprecation_reason:
                    problems.append(f"{name}.{fname}: deprecation {field.deprecation_reason!r} differs")
                for aname, arg in getattr(field, "args", {}).items():
                    real_arg = real_field.args.get(aname)
                    if real_arg is None:
                        problems.append(f"{name}.{fname}({aname}) missing in real schema")
                    elif str(arg.type) != str(real_arg.type):
                        problems.append(f"{name}.{fname}({aname}): {arg.type} != real {real_arg.type}")
        if isinstance(sim_type, GraphQLObjectType):
            sim_ifaces = {i.name for i in sim_type.interfaces}
            real_ifaces = {i.name for i in real_type.interfaces}
            if not sim_ifaces <= real_ifaces:
                problems.append(f"{name} implements {sim_ifaces - real_ifaces} which real does not")
    assert problems == []


def test_root_operations_match_the_brief(sim_schema):
    query = sim_schema.query_type.fields
    mutation = sim_schema.mutation_type.fields
    for field in ("findScene", "findScenes", "configuration", "version", "jobQueue", "findJob"):
        assert field in query
    for field in ("sceneUpdate", "configurePlugin", "runPluginTask", "performerUpdate", "tagUpdate", "studioUpdate"):
        assert field in mutation
    assert isinstance(sim_schema.type_map["PluginConfigMap"], GraphQLScalarType)


def test_update_inputs_are_complete_because_hooks_echo_every_key(real_schema, sim_schema):
    for name in ("SceneUpdateInput", "PerformerUpdateInput", "StudioUpdateInput", "TagUpdateInput"):
        assert set(sim_schema.type_map[name].fields) == set(real_schema.type_map[name].fields), name
