"""Read EC2 security groups and their attachments in one region, and turn them into records.

Two paginated calls per region: DescribeSecurityGroups and DescribeNetworkInterfaces. The
attachment count is the number of network interfaces that carry the group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scanner.model import NetworkGroup, NetworkRule

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

PAGE_SIZE = 1000
# (direction, the key of the security group that holds those permissions)
DIRECTIONS = (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress"))


def fetch_security_groups(ec2: EC2Client) -> list[dict[str, Any]]:
    """All security groups of the client's region."""
    paginator = ec2.get_paginator("describe_security_groups")
    pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [dict(group) for page in pages for group in page.get("SecurityGroups", [])]


def fetch_attachment_counts(ec2: EC2Client) -> Counter[str]:
    """How many network interfaces of the client's region carry each security group id."""
    counts: Counter[str] = Counter()
    paginator = ec2.get_paginator("describe_network_interfaces")
    for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
        for interface in page.get("NetworkInterfaces", []):
            counts.update(g["GroupId"] for g in interface.get("Groups", []) if "GroupId" in g)
    return counts


def group_arn(region: str, account: str, group_id: str) -> str:
    """The ARN of a security group, which is its id in the snapshot."""
    return f"arn:aws:ec2:{region}:{account}:security-group/{group_id}"


def groups_from(
    groups: list[dict[str, Any]],
    *,
    region: str,
    account: str,
    attachments: Mapping[str, int] | None,
) -> tuple[list[NetworkGroup], list[NetworkRule]]:
    """Turn DescribeSecurityGroups items into groups and one rule per direction and peer.

    `attachments` is None when the interfaces could not be read; counts are then unknown.
    """
    network_groups: list[NetworkGroup] = []
    rules: list[NetworkRule] = []

    for group in groups:
        arn = group_arn(region, account, group["GroupId"])
        count = None if attachments is None else attachments.get(group["GroupId"], 0)
        network_groups.append(
            NetworkGroup(
                id=arn,
                provider="aws",
                account=account,
                region=region,
                name=group.get("GroupName", group["GroupId"]),
                network=group.get("VpcId"),
                attachments=count,
                tags={t["Key"]: t.get("Value", "") for t in group.get("Tags", [])},
            )
        )
        rules.extend(_rules_of(group, arn, region, account))

    return network_groups, rules


def _rules_of(group: dict[str, Any], arn: str, region: str, account: str) -> Iterator[NetworkRule]:
    for direction, key in DIRECTIONS:
        for permission in group.get(key, []):
            protocol = str(permission.get("IpProtocol", "-1"))
            from_port, to_port = _ports(permission, protocol)
            for peer, peer_kind, description in _peers(permission, region, account):
                yield NetworkRule(
                    group=arn,
                    direction=direction,  # type: ignore[arg-type]
                    protocol=protocol,
                    from_port=from_port,
                    to_port=to_port,
                    peer=peer,
                    peer_kind=peer_kind,  # type: ignore[arg-type]
                    description=description,
                )


def _ports(permission: Mapping[str, Any], protocol: str) -> tuple[int | None, int | None]:
    # Protocol -1 means every port; -1 as a port means every port (or every ICMP type).
    if protocol == "-1":
        return None, None
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return (None if low in (None, -1) else low), (None if high in (None, -1) else high)


def _peers(
    permission: Mapping[str, Any], region: str, account: str
) -> Iterator[tuple[str, str, str | None]]:
    for item in permission.get("IpRanges", []):
        yield item["CidrIp"], "cidr4", item.get("Description")
    for item in permission.get("Ipv6Ranges", []):
        yield item["CidrIpv6"], "cidr6", item.get("Description")
    for item in permission.get("PrefixListIds", []):
        yield item["PrefixListId"], "prefix-list", item.get("Description")
    for item in permission.get("UserIdGroupPairs", []):
        # Known shortcoming: a group referenced across a peering connection may live in
        # another region; its ARN is still built with this region, so it will not match.
        owner = item.get("UserId") or account
        yield group_arn(region, owner, item["GroupId"]), "group", item.get("Description")
