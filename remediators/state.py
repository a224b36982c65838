"""Read resource addresses and identifiers from Terraform state, and nothing else.

A state file holds secrets (an `aws_iam_access_key` keeps its secret there). Only the
identifying attributes in `_KEPT` are copied out; every other value is dropped while reading
and never stored, logged or shown.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import InputError

log = logging.getLogger(__name__)

# Identifiers only: names, ids and ARNs that say which cloud object a block manages.
_KEPT = ("id", "arn", "name", "bucket", "user", "role", "group", "security_group_id")


@dataclass(frozen=True)
class StateObject:
    """One managed object in state: its address and its identifying attributes."""

    address: str
    module: str | None
    indexed: bool
    ids: tuple[tuple[str, str], ...]
    # The Terraform root directory (relative to the repository) this state belongs to, when
    # several are configured; None matches blocks in any directory.
    directory: str | None = None

    def matches(self, value: str) -> bool:
        """True if any identifying attribute equals `value`."""
        return any(v == value for _, v in self.ids)


def _identifiers(values: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(values, dict):
        return ()
    return tuple((k, values[k]) for k in _KEPT if isinstance(values.get(k), str) and values[k])


def _from_raw(doc: dict[str, Any]) -> Iterator[StateObject]:
    """`terraform.tfstate` version 4: resources with instances and attributes."""
    for res in doc.get("resources") or []:
        if not isinstance(res, dict) or res.get("mode") != "managed":
            continue
        module = res.get("module") or None
        address = f"{res.get('type')}.{res.get('name')}"
        for instance in res.get("instances") or []:
            if isinstance(instance, dict):
                indexed = "index_key" in instance
                ids = _identifiers(instance.get("attributes"))
                yield StateObject(address, module, indexed, ids)


def _from_show(module: dict[str, Any], name: str | None) -> Iterator[StateObject]:
    """`terraform show -json`: nested modules whose resources carry `values`."""
    for res in module.get("resources") or []:
        if not isinstance(res, dict) or res.get("mode") != "managed":
            continue
        address = f"{res.get('type')}.{res.get('name')}"
        yield StateObject(address, name, "index" in res, _identifiers(res.get("values")))
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            yield from _from_show(child, str(child.get("address") or "module"))


def read_state(path: Path) -> list[StateObject]:
    """Identifiers of every managed object in a raw v4 state or `terraform show -json` file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # The message names the file and the parse position only, never its content.
        raise InputError(f"cannot read state file: {type(exc).__name__}", where=str(path)) from None
    if not isinstance(doc, dict):
        raise InputError("state file is not a JSON object", where=str(path))
    if "values" in doc:
        root = (doc.get("values") or {}).get("root_module") or {}
        objects = list(_from_show(root, None))
    elif doc.get("version") == 4:
        objects = list(_from_raw(doc))
    else:
        raise InputError(
            "not a Terraform state (expected version 4 or `terraform show -json` output)",
            where=str(path),
        )
    log.debug("read %d managed objects from state %s", len(objects), path.name)
    return objects
