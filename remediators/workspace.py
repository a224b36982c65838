"""The Terraform of a repository: one or more root directories, each with its optional state.

Every file is indexed by its path relative to the repository root, so patches and commits
name the files where they live in the repository, whichever directory they came from. A
state file's objects are tied to the directory it belongs to, so the same address in two
directories is never confused.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from remediators.state import StateObject, read_state
from remediators.terraform_index import TerraformIndex, TfFile, load_file
from scanner.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TerraformDir:
    """One Terraform root directory and, optionally, the state file of what it manages."""

    path: Path
    state_file: Path | None = None


def load(
    root: Path, directories: Sequence[TerraformDir]
) -> tuple[TerraformIndex, list[StateObject] | None]:
    """An index of every directory's files under `root`, and their states (None: no state).

    When only some directories have a state, the state decides for all of them: a resource
    in a directory without one is matched by nothing and gets a waiver proposal, not a
    name-based guess (name matching cannot be switched on per directory by the fixers).
    """
    if not root.is_dir():
        raise InputError("repository root does not exist", where=str(root))
    files: dict[str, TfFile] = {}
    states: list[StateObject] | None = None
    for directory in directories:
        relative = _relative(root, directory.path)
        for path in _tf_paths(directory.path.resolve()):
            loaded = load_file(root.resolve(), path)
            if loaded is not None:
                files.setdefault(loaded.path, loaded)
        if directory.state_file is not None:
            objects = read_state(directory.state_file)
            states = (states or []) + [dataclasses.replace(o, directory=relative) for o in objects]
    log.debug("indexed %d Terraform files in %d directories", len(files), len(directories))
    return TerraformIndex(root, [files[p] for p in sorted(files)]), states


def _relative(root: Path, directory: Path) -> str:
    """`directory` relative to the root, checked to exist and to lie inside it."""
    if not directory.is_dir():
        raise InputError("Terraform directory does not exist", where=str(directory))
    try:
        return directory.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise InputError(
            f"Terraform directory is outside the repository root {root}", where=str(directory)
        ) from None


def _tf_paths(directory: Path) -> list[Path]:
    """Every `.tf` file under a directory, skipping hidden ones such as `.terraform`."""
    found = []
    for path in sorted(directory.rglob("*.tf")):
        parts = path.relative_to(directory).parts
        if not any(part.startswith(".") for part in parts[:-1]):
            found.append(path)
    return found
