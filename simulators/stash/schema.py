"""The subset of Stash's GraphQL schema (v0.30.1) the simulator serves.

Every name and type here is copied from the real schema (tests/simulators/test_stash_schema.py checks it against
../shared/stash-schema), only fewer of them: a client document that validates here also validates against real
Stash, and a misspelled field is refused here exactly as gqlgen refuses it there. Input types that hooks echo back
(SceneUpdateInput, TagUpdateInput, ...) are complete, because the hook's `input` must carry all their keys.
"""

from __future__ import annotations

SDL = '''
scalar Time
scalar Timestamp
scalar Map
scalar PluginConfigMap
scalar Any
scalar Int64

type Query {
  findScene(id: ID, checksum: String): Scene
  findScenes(
    scene_filter: SceneFilterType
    scene_ids: [Int!] @deprecated(reason: "use ids")
    ids: [ID!]
    filter: FindFilterType
  ): FindScenesResultType!
  findPerformers(filter: FindFilterType): FindPerformersResultType!
  configuration: ConfigResult!
  systemStatus: SystemStatus!
  jobQueue: [Job!]
  findJob(input: FindJobInput!): Job
  version: Version!
  findTags(tag_filter: TagFilterType, filter: FindFilterType, ids: [ID!]): FindTagsResultType!
}

type Mutation {
  sceneUpdate(input: SceneUpdateInput!): Scene
  bulkSceneUpdate(input: BulkSceneUpdateInput!): [Scene!]
  performerUpdate(input: PerformerUpdateInput!): Performer
  studioUpdate(input: StudioUpdateInput!): Studio
  tagCreate(input: TagCreateInput!): Tag
  tagUpdate(input: TagUpdateInput!): Tag
  tagsMerge(input: TagsMergeInput!): Tag
  tagDestroy(input: TagDestroyInput!): Boolean!
  performerDestroy(input: PerformerDestroyInput!): Boolean!
  studioDestroy(input: StudioDestroyInput!): Boolean!
  groupCreate(input: GroupCreateInput!): Group
  groupUpdate(input: GroupUpdateInput!): Group
  sceneSaveActivity(id: ID!, resume_time: Float, playDuration: Float): Boolean!
  sceneAddPlay(id: ID!, times: [Timestamp!]): HistoryMutationResult!
  sceneIncrementPlayCount(id: ID!): Int! @deprecated(reason: "Use sceneAddPlay instead")
  sceneDeletePlay(id: ID!, times: [Timestamp!]): HistoryMutationResult!
  sceneResetPlayCount(id: ID!): Int!
  configurePlugin(plugin_id: ID!, input: Map!): Map!
  runPluginTask(
    plugin_id: ID!
    task_name: String
    description: String
    args: [PluginArgInput!] @deprecated(reason: "Use args_map instead")
    args_map: Map
  ): ID!
  runPluginOperation(plugin_id: ID!, args: Map): Any
}

type Fingerprint {
  type: String!
  value: String!
}

interface BaseFile {
  id: ID!
  path: String!
  basename: String!
  mod_time: Time!
  size: Int64!
  fingerprint(type: String!): String
  fingerprints: [Fingerprint!]!
  created_at: Time!
  updated_at: Time!
}

type VideoFile implements BaseFile {
  id: ID!
  path: String!
  basename: String!
  mod_time: Time!
  size: Int64!
  fingerprint(type: String!): String
  fingerprints: [Fingerprint!]!
  format: String!
  width: Int!
  height: Int!
  duration: Float!
  video_codec: String!
  audio_codec: String!
  frame_rate: Float!
  bit_rate: Int!
  created_at: Time!
  updated_at: Time!
}

type ScenePathsType {
  screenshot: String
  preview: String
  stream: String
  webp: String
  vtt: String
  sprite: String
}

type SceneMovie {
  movie: Movie!
  scene_index: Int
}

type SceneGroup {
  group: Group!
  scene_index: Int
}

type StashID {
  endpoint: String!
  stash_id: String!
  updated_at: Time!
}

type Scene {
  id: ID!
  title: String
  code: String
  details: String
  director: String
  url: String @deprecated(reason: "Use urls")
  urls: [String!]!
  date: String
  rating100: Int
  organized: Boolean!
  o_counter: Int
  interactive: Boolean!
  created_at: Time!
  updated_at: Time!
  files: [VideoFile!]!
  paths: ScenePathsType!
  studio: Studio
  groups: [SceneGroup!]!
  movies: [SceneMovie!]! @deprecated(reason: "Use groups")
  tags: [Tag!]!
  performers: [Performer!]!
  stash_ids: [StashID!]!
  resume_time: Float
  play_duration: Float
  play_count: Int
  play_history: [Time!]!
  last_played_at: Time
}

type HistoryMutationResult {
  count: Int!
  history: [Time!]!
}

type FindScenesResultType {
  count: Int!
  duration: Float!
  filesize: Float!
  scenes: [Scene!]!
}

type FindPerformersResultType {
  count: Int!
  performers: [Performer!]!
}

enum GenderEnum {
  MALE
  FEMALE
  TRANSGENDER_MALE
  TRANSGENDER_FEMALE
  INTERSEX
  NON_BINARY
}

enum CircumisedEnum {
  CUT
  UNCUT
}

type Performer {
  id: ID!
  name: String!
  disambiguation: String
  urls: [String!]
  gender: GenderEnum
  alias_list: [String!]!
  favorite: Boolean!
  image_path: String
  scene_count: Int!
  created_at: Time!
  updated_at: Time!
}

type Studio {
  id: ID!
  name: String!
  url: String @deprecated(reason: "Use urls")
  urls: [String!]!
  parent_studio: Studio
  aliases: [String!]!
  image_path: String
  scene_count(depth: Int): Int!
  created_at: Time!
  updated_at: Time!
}

type Tag {
  id: ID!
  name: String!
  sort_name: String
  description: String
  aliases: [String!]!
  image_path: String
  scene_count(depth: Int): Int!
  created_at: Time!
  updated_at: Time!
}

type Group {
  id: ID!
  name: String!
  date: String
  front_image_path: String
}

type Movie {
  id: ID!
  name: String!
  date: String
  front_image_path: String
}

input SceneMovieInput {
  movie_id: ID!
  scene_index: Int
}

input GroupCreateInput {
  name: String!
}

input GroupUpdateInput {
  id: ID!
  name: String
}

input SceneGroupInput {
  group_id: ID!
  scene_index: Int
}

input StashIDInput {
  endpoint: String!
  stash_id: String!
  updated_at: Time
}

input SceneUpdateInput {
  clientMutationId: String
  id: ID!
  title: String
  code: String
  details: String
  director: String
  url: String @deprecated(reason: "Use urls")
  urls: [String!]
  date: String
  rating100: Int
  o_counter: Int
    @deprecated(reason: "Unsupported - Use sceneIncrementO/sceneDecrementO")
  organized: Boolean
  studio_id: ID
  gallery_ids: [ID!]
  performer_ids: [ID!]
  groups: [SceneGroupInput!]
  movies: [SceneMovieInput!] @deprecated(reason: "Use groups")
  tag_ids: [ID!]
  cover_image: String
  stash_ids: [StashIDInput!]
  resume_time: Float
  play_duration: Float
  play_count: Int
    @deprecated(
      reason: "Unsupported - Use sceneIncrementPlayCount/sceneDecrementPlayCount"
    )
  primary_file_id: ID
}

enum BulkUpdateIdMode {
  SET
  ADD
  REMOVE
}

input BulkUpdateIds {
  ids: [ID!]
  mode: BulkUpdateIdMode!
}

input BulkUpdateStrings {
  values: [String!]
  mode: BulkUpdateIdMode!
}

input BulkSceneUpdateInput {
  clientMutationId: String
  ids: [ID!]
  title: String
  code: String
  details: String
  director: String
  url: String @deprecated(reason: "Use urls")
  urls: BulkUpdateStrings
  date: String
  rating100: Int
  organized: Boolean
  studio_id: ID
  gallery_ids: BulkUpdateIds
  performer_ids: BulkUpdateIds
  tag_ids: BulkUpdateIds
  group_ids: BulkUpdateIds
  movie_ids: BulkUpdateIds @deprecated(reason: "Use group_ids")
}

input CustomFieldsInput {
  full: Map
  partial: Map
  remove: [String!]
}

input PerformerUpdateInput {
  id: ID!
  name: String
  disambiguation: String
  url: String @deprecated(reason: "Use urls")
  urls: [String!]
  gender: GenderEnum
  birthdate: String
  ethnicity: String
  country: String
  eye_color: String
  height_cm: Int
  measurements: String
  fake_tits: String
  penis_length: Float
  circumcised: CircumisedEnum
  career_length: String
  tattoos: String
  piercings: String
  alias_list: [String!]
  twitter: String @deprecated(reason: "Use urls")
  instagram: String @deprecated(reason: "Use urls")
  favorite: Boolean
  tag_ids: [ID!]
  image: String
  stash_ids: [StashIDInput!]
  rating100: Int
  details: String
  death_date: String
  hair_color: String
  weight: Int
  ignore_auto_tag: Boolean
  custom_fields: CustomFieldsInput
}

input StudioUpdateInput {
  id: ID!
  name: String
  url: String @deprecated(reason: "Use urls")
  urls: [String!]
  parent_id: ID
  image: String
  stash_ids: [StashIDInput!]
  rating100: Int
  favorite: Boolean
  details: String
  aliases: [String!]
  tag_ids: [ID!]
  ignore_auto_tag: Boolean
}

input TagsMergeInput {
  source: [ID!]!
  destination: ID!
}

input TagDestroyInput {
  id: ID!
}

input PerformerDestroyInput {
  id: ID!
}

input StudioDestroyInput {
  id: ID!
}

type FindTagsResultType {
  count: Int!
  tags: [Tag!]!
}

input TagFilterType {
  name: StringCriterionInput
}

input TagCreateInput {
  name: String!
}

input TagUpdateInput {
  id: ID!
  name: String
  sort_name: String
  description: String
  aliases: [String!]
  ignore_auto_tag: Boolean
  favorite: Boolean
  image: String
  stash_ids: [StashIDInput!]
  parent_ids: [ID!]
  child_ids: [ID!]
}

enum SortDirectionEnum {
  ASC
  DESC
}

input FindFilterType {
  q: String
  page: Int
  per_page: Int
  sort: String
  direction: SortDirectionEnum
}

enum CriterionModifier {
  EQUALS
  NOT_EQUALS
  GREATER_THAN
  LESS_THAN
  IS_NULL
  NOT_NULL
  INCLUDES_ALL
  INCLUDES
  EXCLUDES
  MATCHES_REGEX
  NOT_MATCHES_REGEX
  BETWEEN
  NOT_BETWEEN
}

input StringCriterionInput {
  value: String!
  modifier: CriterionModifier!
}

input IntCriterionInput {
  value: Int!
  value2: Int
  modifier: CriterionModifier!
}

input MultiCriterionInput {
  value: [ID!]
  modifier: CriterionModifier!
  excludes: [ID!]
}

input HierarchicalMultiCriterionInput {
  value: [ID!]
  modifier: CriterionModifier!
  depth: Int
  excludes: [ID!]
}

input TimestampCriterionInput {
  value: String!
  value2: String
  modifier: CriterionModifier!
}

input SceneFilterType {
  id: IntCriterionInput
  title: StringCriterionInput
  path: StringCriterionInput
  organized: Boolean
  is_missing: String
  studios: HierarchicalMultiCriterionInput
  tags: HierarchicalMultiCriterionInput
  performers: MultiCriterionInput
  groups: HierarchicalMultiCriterionInput
  movies: MultiCriterionInput @deprecated(reason: "use groups instead")
  created_at: TimestampCriterionInput
  updated_at: TimestampCriterionInput
  play_count: IntCriterionInput
  resume_time: IntCriterionInput
  last_played_at: TimestampCriterionInput
  AND: SceneFilterType
  OR: SceneFilterType
  NOT: SceneFilterType
}

type ConfigGeneralResult {
  apiKey: String!
}

type ConfigResult {
  general: ConfigGeneralResult!
  plugins(include: [ID!]): PluginConfigMap!
}

enum SystemStatusEnum {
  SETUP
  NEEDS_MIGRATION
  OK
}

type SystemStatus {
  databaseSchema: Int
  appSchema: Int!
  status: SystemStatusEnum!
  os: String!
  workingDir: String!
}

type Version {
  version: String
  hash: String!
  build_time: String!
}

enum JobStatus {
  READY
  RUNNING
  FINISHED
  STOPPING
  CANCELLED
  FAILED
}

type Job {
  id: ID!
  status: JobStatus!
  subTasks: [String!]
  description: String!
  progress: Float
  startTime: Time
  endTime: Time
  addTime: Time!
  error: String
}

input FindJobInput {
  id: ID!
}

input PluginArgInput {
  key: String!
  value: PluginValueInput
}

input PluginValueInput {
  str: String
  i: Int
  b: Boolean
  f: Float
  o: [PluginArgInput!]
  a: [PluginValueInput!]
}
'''
