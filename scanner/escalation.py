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

from scanner.aws_power import IamIndex
from scanner.model import Principal
from scanner.policy import Decision, PolicySet, resource_matches, set_relevant_actions, statements

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
    ),
    Method(
        "open a session on an instance holding the role",
        "role",
        (),
        "ec2.amazonaws.com",
        ("ssm:StartSession",),
    ),
    Method(
        "replace the code of a function running as the role",
        "role",
        (),
        "lambda.amazonaws.com",
        ("lambda:UpdateFunctionCode",),
    ),
    Method(
        "update a Glue endpoint running as the role",
        "role",
        (),
        "glue.amazonaws.com",
        ("glue:UpdateDevEndpoint",),
    ),
)

# Granting a role administrator power, then assuming it.
ROLE_GRANTS = ("iam:AttachRolePolicy", "iam:PutRolePolicy")
POLICY_REWRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")

set_relevant_actions(a for m in METHODS for a in m.actions())
set_relevant_actions((*ROLE_GRANTS, *POLICY_REWRITES, "iam:PassRole"))


@dataclass(frozen=True)
class Step:
    """One escalation edge: how `source` gains `target`'s power (or administrator power)."""

    source: str
    target: str
    how: str
    actions: tuple[str, ...]
    decisions: tuple[Decision, ...]
    via: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        return any(d.conditional for d in self.decisions)

    def attributes(self) -> dict[str, object]:
        conditions = [c for d in self.decisions for c in d.conditions]
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
        self.sets: dict[str, PolicySet] = {}
        self.trusted: dict[str, set[str]] = {}
        for role, trusts in index.trusts.items():
            for trust in trusts:
                if trust.trustee_kind == "service":
                    self.trusted.setdefault(trust.trustee, set()).add(role)

    def policy_set(self, principal: Principal) -> PolicySet:
        if principal.id not in self.sets:
            self.sets[principal.id] = self.index.policy_set(principal)
        return self.sets[principal.id]

    def run(self, admin_node_of: dict[str, str]) -> int:
        """Add escalation edges until no principal gains a new way to administrator power."""
        callers = [
            p
            for p in self.index.principals.values()
            if p.kind in ("user", "role") and p.provider == "aws"
        ]
        candidates = [p for p in callers if self._escalates_at_all(p)]
        reaching = {n for n, data in self.g.nodes(data=True) if data.get("admin_route")}
        added = self._role_grants(candidates, reaching, admin_node_of)
        frontier = set(reaching)
        while frontier:
            reaching |= frontier
            new: set[str] = set()
            for principal in candidates:
                if principal.id in reaching:
                    continue
                for step in self._steps(principal, frontier):
                    self.g.add_edge(step.source, step.target, **step.attributes())
                    added += 1
                    new.add(principal.id)
                    break
            frontier = new - reaching
        log.debug("escalation: %d edges", added)
        return added

    def _escalates_at_all(self, principal: Principal) -> bool:
        policy_set = self.policy_set(principal)
        return any(policy_set.may_allow(a) for m in METHODS for a in m.actions()[:1]) or any(
            policy_set.may_allow(a) for a in (*ROLE_GRANTS, *POLICY_REWRITES)
        )

    def _steps(self, principal: Principal, frontier: set[str]) -> Iterator[Step]:
        policy_set = self.policy_set(principal)
        for method in METHODS:
            if method.target_kind == "group" and principal.kind != "user":
                continue
            for target in self._targets(method, policy_set, frontier, principal):
                step = self._try(method, principal, policy_set, target)
                if step is not None:
                    yield step
                    return

    def _targets(
        self, method: Method, policy_set: PolicySet, frontier: set[str], principal: Principal
    ) -> Iterable[str]:
        first = method.actions()[0]
        if not policy_set.may_allow(first):
            return ()
        kinds = [
            t
            for t in frontier
            if t != principal.id
            and t not in principal.groups
            and self.g.nodes[t].get("kind") == method.target_kind
        ]
        if method.service is not None:
            kinds = [t for t in kinds if t in self.trusted.get(method.service, set())]
        if method.target_actions:
            kinds = _narrow(policy_set, method.target_actions[0], kinds)
        elif method.pass_role:
            kinds = _narrow(policy_set, "iam:PassRole", kinds)
        return sorted(kinds)

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
        return Step(principal.id, target, method.name, method.actions(), tuple(decisions))

    def _role_grants(
        self, candidates: list[Principal], reaching: set[str], admin_node_of: dict[str, str]
    ) -> int:
        """A principal that can assume a role and grant that role anything is an admin."""
        added = 0
        for principal in candidates:
            if principal.id in reaching:
                continue
            for step in self._role_grant_steps(principal, admin_node_of):
                self.g.add_edge(step.source, step.target, **step.attributes())
                self.g.nodes[principal.id]["escalates_to_admin"] = True
                added += 1
                break
        return added

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
            for policy in self.index.held(role):
                if policy.managed_by != "customer":
                    continue
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


def _narrow(policy_set: PolicySet, action: str, targets: list[str]) -> list[str]:
    """Targets some Allow statement for `action` names, found without evaluating each one.

    A statement on `*` keeps every target; literal ARNs are looked up; patterns are matched.
    Denies and boundaries are checked afterwards, by the full evaluation of each candidate.
    """
    patterns: list[str] = []
    for policy in policy_set.identity:
        for statement in statements(policy.document):
            if statement.get("Effect") != "Allow":
                continue
            if "NotResource" in statement:
                return targets
            resources = statement.get("Resource", "*")
            patterns += [
                str(r) for r in (resources if isinstance(resources, list) else [resources])
            ]
    if "*" in patterns:
        return targets
    literal = {p for p in patterns if "*" not in p and "?" not in p and "${" not in p}
    wild = [p for p in patterns if p not in literal]
    return [
        t
        for t in targets
        if t in literal or any(resource_matches(p, t, policy_set.variables) for p in wild)
    ]
