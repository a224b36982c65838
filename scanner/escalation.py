"""Privilege escalation on AWS: the ways a principal gains another's power, as graph edges.

Each technique is one :class:`Method`: the IAM actions it needs, on which target, and, for
techniques that pass a role to a service, which service the role must trust. An edge counts
only where its resources match: a PassRole limited to a harmless role does not reach an
administrator role.

Edges are only searched towards principals that already reach administrator power (working
outwards one hop per round), so the graph holds the edges that matter for standing-admin
proofs and stays near-linear in the size of the estate. An escalation between two principals
that never leads to administrator power is therefore not in the graph.

Known shortcomings: the techniques that act on existing resources (SSM on instances, updating
a function's code or a Glue endpoint) assume that some instance, function or endpoint uses each
role trusting that service, because the snapshot holds no inventory of them; iam:PassedToService
is the only condition key evaluated exactly, other conditions make an edge conditional.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import networkx as nx

from scanner.aws_power import IamIndex, older_version_grants_admin
from scanner.model import Principal
from scanner.policy import (
    Decision,
    PolicySet,
    as_list,
    resource_matches,
    statement_covers_action,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Method:
    """One escalation technique, from a principal to a target principal of `target_kind`.

    `target_actions` must all be allowed on the target's ARN; `service_actions` must all be
    allowed on some resource; a `service` means the target role must trust that service
    principal, and `pass_role` that iam:PassRole to it is needed too.
    """

    name: str
    target_kind: str
    target_actions: tuple[str, ...] = ()
    service: str | None = None
    service_actions: tuple[str, ...] = ()
    pass_role: bool = False
    # For techniques that act on a resource already running as the role: the assumption the
    # edge rests on, since the snapshot holds no inventory of instances or functions.
    assumes: str | None = None

    def actions(self) -> tuple[str, ...]:
        passing = ("iam:PassRole",) if self.pass_role else ()
        return (*self.target_actions, *passing, *self.service_actions)


def _passing(service: str, *combos: tuple[str, ...]) -> list[Method]:
    short = service.split(".", 1)[0]
    return [
        Method(f"pass a role to {short}", "role", (), service, combo, pass_role=True)
        for combo in combos
    ]


METHODS: tuple[Method, ...] = (
    Method("create an access key for the user", "user", ("iam:CreateAccessKey",)),
    Method("create a console password for the user", "user", ("iam:CreateLoginProfile",)),
    Method("reset the user's console password", "user", ("iam:UpdateLoginProfile",)),
    Method("add itself to the group", "group", ("iam:AddUserToGroup",)),
    Method(
        "rewrite the role's trust policy, then assume it", "role", ("iam:UpdateAssumeRolePolicy",)
    ),
    *_passing("ec2.amazonaws.com", ("ec2:RunInstances",)),
    *_passing(
        "lambda.amazonaws.com",
        ("lambda:CreateFunction", "lambda:InvokeFunction"),
        ("lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
        ("lambda:UpdateFunctionConfiguration",),
    ),
    *_passing(
        "glue.amazonaws.com",
        ("glue:CreateDevEndpoint",),
        ("glue:CreateJob", "glue:StartJobRun"),
        ("glue:UpdateJob", "glue:StartJobRun"),
    ),
    *_passing(
        "cloudformation.amazonaws.com",
        ("cloudformation:CreateStack",),
        ("cloudformation:UpdateStack",),
    ),
    *_passing(
        "codebuild.amazonaws.com",
        ("codebuild:CreateProject", "codebuild:StartBuild"),
        ("codebuild:UpdateProject", "codebuild:StartBuild"),
    ),
    *_passing(
        "sagemaker.amazonaws.com",
        ("sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"),
        ("sagemaker:CreateTrainingJob",),
        ("sagemaker:CreateProcessingJob",),
    ),
    *_passing(
        "datapipeline.amazonaws.com",
        (
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
            "datapipeline:ActivatePipeline",
        ),
    ),
    *_passing("ecs-tasks.amazonaws.com", ("ecs:RegisterTaskDefinition", "ecs:RunTask")),
    Method(
        "run a command on an instance holding the role",
        "role",
        (),
        "ec2.amazonaws.com",
        ("ssm:SendCommand",),
        assumes="an instance runs with the role",
    ),
    Method(
        "open a session on an instance holding the role",
        "role",
        (),
        "ec2.amazonaws.com",
        ("ssm:StartSession",),
        assumes="an instance runs with the role",
    ),
    Method(
        "replace the code of a function running as the role",
        "role",
        (),
        "lambda.amazonaws.com",
        ("lambda:UpdateFunctionCode",),
        assumes="a function runs as the role",
    ),
    Method(
        "update a Glue endpoint running as the role",
        "role",
        (),
        "glue.amazonaws.com",
        ("glue:UpdateDevEndpoint",),
        assumes="a Glue endpoint runs as the role",
    ),
)

# Granting a role administrator power, then assuming it.
ROLE_GRANTS = ("iam:AttachRolePolicy", "iam:PutRolePolicy")
POLICY_REWRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")

ESCALATION_ACTIONS = frozenset(
    {a for m in METHODS for a in m.actions()} | {*ROLE_GRANTS, *POLICY_REWRITES, "iam:PassRole"}
)


@dataclass(frozen=True)
class Step:
    """One escalation edge: how `source` gains `target`'s power (or administrator power)."""

    source: str
    target: str
    how: str
    actions: tuple[str, ...]
    decisions: tuple[Decision, ...]
    via: tuple[str, ...] = ()
    assumes: str | None = None

    @property
    def conditional(self) -> bool:
        return self.assumes is not None or any(d.conditional for d in self.decisions)

    def attributes(self) -> dict[str, object]:
        conditions = [c for d in self.decisions for c in d.conditions]
        if self.assumes:
            conditions.append({"Assumes": self.assumes})
        return {
            "kind": "escalate",
            "how": self.how,
            "actions": list(self.actions),
            "via": list(self.via),
            "conditional": self.conditional,
            "conditions": conditions,
            "policies": sorted({p for d in self.decisions for p in d.policies}),
        }


class Escalation:
    """Finds escalation edges towards the principals that reach administrator power."""

    def __init__(self, g: nx.DiGraph, index: IamIndex):
        self.g = g
        self.index = index
        self.trusted: dict[str, set[str]] = {}
        for role, trusts in index.trusts.items():
            for trust in trusts:
                if trust.trustee_kind == "service":
                    self.trusted.setdefault(trust.trustee, set()).add(role)

    def policy_set(self, principal: Principal) -> PolicySet:
        return self.index.policy_set(principal)

    def run(self, admin_node_of: dict[str, str]) -> int:
        """Add escalation edges until no principal gains a new way to administrator power.

        Round k finds the principals k hops from administrator power, so each principal's
        edge leads along a shortest escalation path.
        """
        callers = [
            p
            for p in self.index.principals.values()
            if p.kind in ("user", "role") and p.provider == "aws"
        ]
        candidates = [p for p in callers if self._escalates_at_all(p)]
        reaching = {n for n, data in self.g.nodes(data=True) if data.get("admin_route")}
        granted = self._role_grants(candidates, reaching, admin_node_of)
        added = len(granted)
        reaching |= granted
        frontier = set(reaching)
        while frontier:
            pools = self._pools(frontier)
            new: set[str] = set()
            for principal in candidates:
                if principal.id in reaching:
                    continue
                step = self._first_step(principal, pools)
                if step is not None:
                    self.g.add_edge(step.source, step.target, **step.attributes())
                    added += 1
                    new.add(principal.id)
            reaching |= new
            frontier = new
        log.debug("escalation: %d edges", added)
        return added

    def _escalates_at_all(self, principal: Principal) -> bool:
        policy_set = self.policy_set(principal)
        return any(policy_set.may_allow(a) for a in ESCALATION_ACTIONS)

    def _pools(self, frontier: set[str]) -> dict[tuple[str, str | None], list[str]]:
        """The frontier's principals by kind, and roles also by the service that they trust."""
        pools: dict[tuple[str, str | None], list[str]] = {}
        for node in sorted(frontier):
            kind = str(self.g.nodes[node].get("kind"))
            pools.setdefault((kind, None), []).append(node)
        for service, roles in self.trusted.items():
            pools[("role", service)] = [r for r in pools.get(("role", None), []) if r in roles]
        return pools

    def _first_step(
        self, principal: Principal, pools: dict[tuple[str, str | None], list[str]]
    ) -> Step | None:
        policy_set = self.policy_set(principal)
        skip = {principal.id, *principal.groups}
        for method in METHODS:
            if method.target_kind == "group" and principal.kind != "user":
                continue
            if not all(policy_set.may_allow(a) for a in method.actions()):
                continue
            pool = pools.get((method.target_kind, method.service), [])
            key = method.target_actions[0] if method.target_actions else "iam:PassRole"
            if not method.target_actions and not method.pass_role:
                candidates: Iterable[str] = (t for t in pool if t not in skip)
            else:
                candidates = _candidates(policy_set, key, pool, skip)
            for target in candidates:
                step = self._try(method, principal, policy_set, target)
                if step is not None:
                    return step
        return None

    def _try(
        self, method: Method, principal: Principal, policy_set: PolicySet, target: str
    ) -> Step | None:
        decisions = [policy_set.evaluate(a, target) for a in method.target_actions]
        if method.pass_role:
            context = {"iam:passedtoservice": method.service or ""}
            decisions.append(policy_set.evaluate("iam:PassRole", target, context))
        decisions += [policy_set.evaluate(a, None) for a in method.service_actions]
        if not all(d.allowed for d in decisions):
            return None
        return Step(
            principal.id,
            target,
            method.name,
            method.actions(),
            tuple(decisions),
            assumes=method.assumes,
        )

    def _role_grants(
        self, candidates: list[Principal], reaching: set[str], admin_node_of: dict[str, str]
    ) -> set[str]:
        """A principal that can assume a role and grant that role anything is an admin."""
        granted: set[str] = set()
        for principal in candidates:
            if principal.id in reaching:
                continue
            for step in self._role_grant_steps(principal, admin_node_of):
                self.g.add_edge(step.source, step.target, **step.attributes())
                granted.add(principal.id)
                break
        return granted

    def _role_grant_steps(
        self, principal: Principal, admin_node_of: dict[str, str]
    ) -> Iterator[Step]:
        policy_set = self.policy_set(principal)
        for _, role, data in sorted(self.g.out_edges(principal.id, data=True)):
            if data.get("kind") != "assume" or role not in self.index.principals:
                continue
            target = admin_node_of[self.index.principals[role].account]
            for action in ROLE_GRANTS:
                decision = policy_set.evaluate(action, role)
                if decision.allowed:
                    how = f"grant the role any policy ({action}), then assume it"
                    yield Step(
                        principal.id,
                        target,
                        how,
                        (action, "sts:AssumeRole"),
                        (decision,),
                        via=(role,),
                    )
                    return
            role_principal = self.index.principals[role]
            for policy in self.index.held(role):
                if policy.managed_by != "customer":
                    continue
                older = policy_set.evaluate("iam:SetDefaultPolicyVersion", policy.id)
                if older.allowed and older_version_grants_admin(
                    role_principal, self.index.policy_set(role_principal), policy
                ):
                    how = (
                        "set an older version of a policy the role holds as default, then assume it"
                    )
                    yield Step(
                        principal.id,
                        target,
                        how,
                        ("iam:SetDefaultPolicyVersion", "sts:AssumeRole"),
                        (older,),
                        via=(role,),
                    )
                    return
                decision = policy_set.evaluate("iam:CreatePolicyVersion", policy.id)
                if decision.allowed:
                    how = "rewrite a policy the role holds, then assume it"
                    yield Step(
                        principal.id,
                        target,
                        how,
                        ("iam:CreatePolicyVersion", "sts:AssumeRole"),
                        (decision,),
                        via=(role,),
                    )
                    return


def _candidates(
    policy_set: PolicySet, action: str, pool: list[str], skip: set[str]
) -> Iterator[str]:
    """Targets in `pool` that some Allow statement for `action` names, cheapest first.

    A statement on `*` (or a NotResource) admits every target, yielded lazily so the first
    that passes full evaluation ends the search; literal ARNs are looked up; patterns are
    matched. Denies and boundaries are left to the full evaluation of each candidate.
    """
    patterns: list[str] = []
    for policy in policy_set.identity:
        for statement in policy_set.statements_for(policy, action):
            if statement.get("Effect") != "Allow" or not statement_covers_action(statement, action):
                continue
            if "NotResource" in statement:
                patterns.append("*")
                continue
            patterns += [str(r) for r in as_list(statement.get("Resource", "*"))]
    if "*" in patterns:
        yield from (t for t in pool if t not in skip)
        return
    members = set(pool)
    literal = [p for p in patterns if not any(c in p for c in "*?$")]
    yield from sorted(t for t in set(literal) if t in members and t not in skip)
    wild = [p for p in patterns if p not in literal]
    if wild:
        yield from (
            t
            for t in pool
            if t not in skip and any(resource_matches(p, t, policy_set.variables) for p in wild)
        )
