"""Cloud Asset full resource names and the resource hierarchy they hang in.

A full name is `//SERVICE/RELATIVE` (`//cloudresourcemanager.googleapis.com/projects/1041`).
Projects are named by number in IAM policies and by id elsewhere, so the directory joins both
through each project scope's aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scanner.model import Snapshot

CRM = "//cloudresourcemanager.googleapis.com/"
IAM = "//iam.googleapis.com/"
STORAGE = "//storage.googleapis.com/"
COMPUTE = "//compute.googleapis.com/"
CONTAINER_KINDS = ("organizations", "folders", "projects")
_FULL = re.compile(r"^//[^/]+/(.+)$")
_SERVICE_ACCOUNT = re.compile(r"^(?:projects/([^/]+)/)?serviceAccounts/([^/]+)")


def relative(name: str) -> str:
    """`//service/projects/p/x` -> `projects/p/x`; a relative name is returned as it is."""
    match = _FULL.match(name)
    return match.group(1) if match else name


def container_of(name: str) -> str | None:
    """The relative name of an organization, folder or project named in full, else None."""
    if not name.startswith(CRM):
        return None
    parts = relative(name).split("/")
    if len(parts) == 2 and parts[0] in CONTAINER_KINDS:
        return "/".join(parts)
    return None


def service_account_of(name: str) -> tuple[str | None, str] | None:
    """(project or None, email or unique id) of a service account name, full or relative."""
    match = _SERVICE_ACCOUNT.match(relative(name))
    if match is None or not name.startswith((IAM, "projects/", "serviceAccounts/")):
        return None
    project = match.group(1)
    return (None if project in (None, "-") else project), match.group(2)


def service_account_name(project: str, email: str) -> str:
    """The full resource name of a service account."""
    return f"{IAM}projects/{project}/serviceAccounts/{email}"


def network_name(link: str) -> str:
    """A network's full name from its selfLink URL or partial URL."""
    match = re.search(r"projects/[^/]+/global/networks/[^/?#]+", link)
    return f"{COMPUTE}{match.group(0)}" if match else link


def admin_node(account: str) -> str:
    """Administrator power over one project (or a container with no project below it)."""
    return f"gcp:{account}:administrator"


def account_of_admin(node: str) -> str:
    """The project id (or container name) an admin node stands for."""
    return node.removeprefix("gcp:").removesuffix(":administrator")


@dataclass
class Directory:
    """Projects by every name they go by, and the containers above each."""

    alias: dict[str, str] = field(default_factory=dict)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Snapshot) -> Directory:
        directory = cls()
        # Scopes that know their aliases first: a project read only from an IAM policy export
        # is named by number, and is the same project as the scope that lists that number.
        scopes = sorted(
            (s for s in snapshot.scopes if s.provider == "gcp"),
            key=lambda s: (not s.aliases, s.account),
        )
        for scope in scopes:
            if scope.account.startswith(("organizations/", "folders/")):
                continue
            if scope.account in directory.alias:
                continue
            directory.parents.setdefault(scope.account, scope.parents)
            for name in (scope.account, f"projects/{scope.account}", *scope.aliases):
                directory.alias.setdefault(name, scope.account)
                directory.alias.setdefault(name.removeprefix("projects/"), scope.account)
        return directory

    def project(self, name: str) -> str:
        """The project id for any name of a project (`projects/1041`, `1041`, `p1`)."""
        rel = relative(name)
        return (
            self.alias.get(rel)
            or self.alias.get(rel.removeprefix("projects/"))
            or (rel.removeprefix("projects/"))
        )

    def projects_in(self, container: str) -> list[str]:
        """Project ids at or below a container (its relative name)."""
        if container.startswith("projects/"):
            return [self.project(container)]
        return sorted(p for p, chain in self.parents.items() if container in chain)

    def chain(self, project: str) -> tuple[str, ...]:
        """The project itself, then the containers above it, nearest first."""
        pid = self.project(project)
        names = {f"projects/{n}" for n, target in self.alias.items() if target == pid}
        names.add(f"projects/{pid}")
        return (*sorted(n for n in names if n.count("/") == 1), *self.parents.get(pid, ()))
