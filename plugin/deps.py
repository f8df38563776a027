"""The runtime packages (requirements.txt), made importable without touching Stash's own Python.

Stash's official Docker image has requests and stashapp-tools, a Python marked externally managed, no git, and
only /root/.stash as a volume: packages pip puts in site-packages are lost when the container is re-created. So
the first drain or task that cannot import a runtime package installs the pinned versions with
`<this interpreter> -m pip install --target <data folder>/python<X.Y>-packages` (one folder per interpreter
version; `--target` is allowed on an externally managed Python), under a lock shared by concurrent processes, and
every process puts that folder first on sys.path. The data folder is inside the plugin folder, on the config
volume, and Stash's package manager leaves it alone on upgrade. PythonDepManager is used instead when it is
installed and usable (it needs git). Hooks never come here: they import none of these packages.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

from plugin import log
from plugin.errors import PluginError
from plugin.paths import data_dir

# import name -> distribution, as pinned in requirements.txt
RUNTIME = {"plexapi": "plexapi", "persistqueue": "persist-queue", "requests": "requests"}
REQUIREMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "requirements.txt")


def packages_dir(plugin_dir: str | None) -> str:
    return os.path.join(data_dir(plugin_dir), f"python{sys.version_info[0]}.{sys.version_info[1]}-packages")


def install_command(folder: str) -> list[str]:
    return [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet",
            "--upgrade", "--target", folder, "-r", REQUIREMENTS]


def ensure_runtime(plugin_dir: str | None) -> None:
    """Makes every runtime package importable, installing them on first need; raises PluginError naming the
    exact command when no route works."""
    folder = packages_dir(plugin_dir)
    _put_first(folder)
    if not _missing():
        return
    if _via_python_dep_manager() and not _missing():
        return
    with _Lock(folder + ".lock"):
        if _missing():  # another process may have installed them while we waited
            _pip_install(folder)
    _put_first(folder)
    missing = _missing()
    if missing:
        raise PluginError(f"Python packages {', '.join(missing)} could not be installed for {sys.executable}. "
                          f"Run: {subprocess.list2cmdline(install_command(folder))}")


def _missing() -> list[str]:
    importlib.invalidate_caches()
    missing = []
    for module, distribution in RUNTIME.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(distribution)
    return missing


def _put_first(folder: str) -> None:
    if os.path.isdir(folder) and (not sys.path or sys.path[0] != folder):
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)


def _pip_install(folder: str) -> None:
    log.info(f"Installing Stash2Plex's Python packages into {folder} (first run for this Python; about a minute)")
    try:
        result = subprocess.run(install_command(folder), capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning(f"pip could not run: {type(exc).__name__}")
        return
    if result.returncode != 0:
        tail = " ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        log.warning(f"pip failed ({result.returncode}): {tail}")


def _via_python_dep_manager() -> bool:
    """PythonDepManager (CommunityScripts) when it is installed and usable: it raises without git."""
    import shutil

    if shutil.which("git") is None:
        return False
    try:
        from PythonDepManager import ensure_import  # type: ignore[import-not-found]
    except ImportError:
        return False
    specs = []
    with open(REQUIREMENTS, encoding="utf-8") as requirements:
        lines = requirements.read().splitlines()
    for line in lines:
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name = requirement.split("==", 1)[0]
            module = next((m for m, d in RUNTIME.items() if d == name), name)
            specs.append(f"{module}:{requirement}" if module != name else requirement)
    try:
        ensure_import(*specs)
    except Exception as exc:  # noqa: BLE001 - any failure means: use our own route
        log.warning(f"PythonDepManager could not install the packages ({type(exc).__name__}); using pip")
        return False
    return True


class _Lock:
    """An exclusive lock on a file, held by one process at a time (others wait), released when it exits."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> _Lock:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._file = open(self.path, "a+b")  # noqa: SIM115 - closed in __exit__
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(self._file.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()  # closing releases the lock on every platform
