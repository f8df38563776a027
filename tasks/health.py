"""What Health Check says about the usual set-up mistakes: each finding is one sentence that says what to do.

Pure functions of what the check gathered (settings, the error Plex gave, sampled paths), so each sentence is
tested without servers; `tasks.admin.health_check` gathers and logs.
"""

from __future__ import annotations

import os
import re
from typing import Optional, Sequence
from urllib.parse import urlparse

from mapping.path_map import PathMap, nearest
from plex.errors import PlexDown, PlexError, PlexUnauthorized

# Docker creates /.dockerenv in every container, Podman /run/.containerenv; under cgroup v1 PID 1's cgroup path
# names the runtime (under cgroup v2 it is "0::/", so the files are the better sign).
_CONTAINER_FILES = (("/.dockerenv", "Docker"), ("/run/.containerenv", "Podman"))
_CGROUP_WORDS = ("docker", "kubepods", "containerd", "libpod", "lxc")
_LOCAL_HOSTS = {"localhost", "::1", "0.0.0.0"}
_TLS = re.compile(r"ssl|certificate|tls", re.IGNORECASE)

OWNER_TOKEN = ("The Plex token is not the server owner's (Plex refuses it its list of accounts), and Plex lets only "
               "the owner edit metadata, so every edit would be refused: set plex_token to a token copied while "
               "signed in to Plex as the server's owner (README: Install, step 3).")


def container_evidence(root: str = "/") -> Optional[str]:
    """How we know Stash runs in a container (e.g. "/.dockerenv exists (Docker)"), or None."""
    for name, engine in _CONTAINER_FILES:
        if os.path.exists(os.path.join(root, name.lstrip("/"))):
            return f"{name} exists ({engine})"
    try:
        with open(os.path.join(root, "proc/1/cgroup"), encoding="utf-8", errors="replace") as cgroup:
            text = cgroup.read()
    except OSError:
        return None
    word = next((w for w in _CGROUP_WORDS if w in text), None)
    return f"/proc/1/cgroup names {word}" if word else None


def localhost_advice(plex_url: Optional[str], evidence: Optional[str]) -> Optional[str]:
    """A sentence when the Plex URL names this machine while Stash runs in a container (there it is the
    container itself), else None."""
    host = (urlparse(plex_url).hostname or "") if plex_url else ""
    if not evidence or not (host in _LOCAL_HOSTS or host.startswith("127.")):
        return None
    return (f"The Plex URL names {host}, but Stash runs in a container ({evidence}), where {host} is the Stash "
            "container itself: use the address of the machine Plex runs on (e.g. http://192.168.1.10:32400), or "
            "Plex's container name when both containers share a Docker network (e.g. http://plex:32400), or "
            "http://host.docker.internal:32400 with Docker Desktop.")


def connect_advice(exc: PlexError, plex_url: Optional[str], evidence: Optional[str]) -> str:
    """The connection failure, with what to do about it."""
    said = exc.message.rstrip(".")
    if _TLS.search(exc.message):
        return (f"{said}. Plex's TLS certificate was not accepted: set plex_ca_file to the file of the certificate "
                "authority that signed it, or turn plex_verify_tls off (unsafe: whoever sits between Stash and "
                "Plex could read the token), or use http:// with Plex's LAN address.")
    if isinstance(exc, PlexUnauthorized):
        return (f"{said}. Copy the token again while signed in to Plex as the server's owner (README: Install, "
                "step 3).")
    if isinstance(exc, PlexDown):
        local = localhost_advice(plex_url, evidence)
        if local:
            return f"{said}. {local}"
        return f"{said}. Check the Plex URL (address and port, usually 32400) and that Plex is running."
    return said + "."


def path_map_advice(path_map: PathMap, stash_paths: Sequence[str], plex_paths: Sequence[str]) -> Optional[str]:
    """A sentence when the path map the user set matches none of the sampled Stash paths, naming a sampled path
    and its nearest Plex path (`plex_paths`: Plex's files of the same names), with the map that would join them;
    None when the map matches one, or nothing was sampled."""
    if not path_map or not stash_paths or any(path_map.applies_to(p) for p in stash_paths):
        return None
    said = f"Setting path_map {path_map} matches none of the {len(stash_paths)} sampled Stash paths"
    for sample in stash_paths:
        found = nearest(sample, plex_paths)
        if found is not None:
            plex_path, stash_prefix, plex_prefix = found
            return (f"{said}: Stash has {sample!r}, Plex's nearest path is {plex_path!r}; set path_map to "
                    f"{stash_prefix}={plex_prefix}, or clear it to let the plugin infer the map.")
    return (f"{said} (e.g. {stash_paths[0]!r}), and Plex has no file of those names: check that Plex's libraries "
            "hold your Stash files, then set path_map to Stash's folder=Plex's folder.")
