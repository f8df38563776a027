"""The Stash→Plex mapping: which fields Plex should show for a scene and their hashes (fields), which scenes are
in scope (scope), Stash paths to Plex paths (path_map), a scene's file to its Plex items (matcher), and
`PlexLibrary`: the sections, the stored index and the path map, refreshed only when asked.

Nothing here sends a request by itself except `PlexLibrary.refresh` and `find_by_file`, through `plex.client`.
"""
