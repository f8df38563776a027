"""Two-way watch state between Stash and Plex (the sync_watch_state setting)."""
