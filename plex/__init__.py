"""Plex through plexapi: connection, library index, path mapping, matching, field diff and push.

Only the drainer and tasks import this package; hooks never do (plexapi costs ~120 ms to import).
"""
