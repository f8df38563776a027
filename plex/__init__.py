"""The Plex client: plexapi connects and names the server; every later request (listings, item reads, the edit
PUT, poster uploads, play state) goes out through `PlexWire` on requests, and every failure is a `PlexError`.

Only the drainer and tasks import this package; hooks never do (plexapi costs ~120 ms to import).
"""
