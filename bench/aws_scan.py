"""Benchmark the live AWS collector against a seeded loopback moto server.

Seeds N principals (users, roles, groups and customer policies), security groups in each
region and a set of buckets, then scans and reports wall time, peak memory, the HTTP
requests by operation, and how they compare with the minimal read plan. Nothing leaves
127.0.0.1: credentials are fake and the instance metadata lookup is disabled.

    .venv/bin/python bench/aws_scan.py --principals 1000 --json
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import resource
import socket
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.collectors.aws_live import collect_aws
from scanner.collectors.aws_requests import RequestCounter
from scanner.demo.estate import route_s3control_to_loopback
from scanner.demo.moto import safe_environment

log = logging.getLogger("bench.aws_scan")

ACCOUNT = "123456789012"
BUCKET_CALLS = 5  # GetBucketLocation, Policy, PolicyStatus, PublicAccessBlock, Acl
REPORT_CALLS = 3  # generate (started), generate (complete), get
MAX_RATIO = 1.2
SEED_WORKERS = 8


def main() -> int:
    """Run the benchmark; exit 1 when the scan needs more than 1.2 times the minimal plan."""
    args = _arguments()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    for noisy in ("werkzeug", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    safe_environment()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]

    stop = _start_moto()
    try:
        result = _run(args.principals, regions, args.buckets)
    finally:
        stop()

    _print(result, as_json=args.json)
    return 0 if result["ratio"] <= MAX_RATIO else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--regions", default="us-east-1,eu-west-1")
    parser.add_argument("--buckets", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args()


def _start_moto() -> Callable[[], None]:
    """Run moto in a child process, so the scan's memory is measured without moto's."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=_serve, args=(port, stop), daemon=True)
    child.start()

    endpoint = f"http://127.0.0.1:{port}"
    _wait_until_up(endpoint)
    os.environ["AWS_ENDPOINT_URL"] = endpoint

    def stopper() -> None:
        stop.set()
        child.join(timeout=10)

    log.info("moto listening at %s", endpoint)
    return stopper


def _serve(port: int, stop: Any) -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stop.wait()
    server.stop()


def _wait_until_up(endpoint: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto did not start at {endpoint}")


def _run(principals: int, regions: list[str], buckets: int) -> dict[str, Any]:
    session = boto3.Session(region_name="us-east-1")
    route_s3control_to_loopback(session)

    started = time.perf_counter()
    _seed(session, principals, regions, buckets)
    seed_seconds = time.perf_counter() - started
    log.info("seeded %d principals in %.1f s", principals, seed_seconds)

    counter = RequestCounter()
    counter.attach(session)
    started = time.perf_counter()
    snapshot = collect_aws(session, regions=regions, progress=log.debug)
    scan_seconds = time.perf_counter() - started
    requests, total = counter.by_operation(), counter.total
    log.info("scanned in %.1f s with %d requests", scan_seconds, total)

    # A second scan under tracemalloc: tracing slows Python down, so it is not the timed one.
    tracemalloc.start()
    collect_aws(session, regions=regions)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    minimal = _minimal_plan(requests, len(regions), len(snapshot.data_stores))
    return {
        "principals_seeded": principals,
        "regions": regions,
        "buckets": len(snapshot.data_stores),
        "seed_seconds": round(seed_seconds, 2),
        "scan_seconds": round(scan_seconds, 2),
        "peak_traced_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "records": {
            "principals": len(snapshot.principals),
            "policies": len(snapshot.policies),
            "grants": len(snapshot.grants),
            "credentials": len(snapshot.credentials),
            "network_groups": len(snapshot.network_groups),
            "network_rules": len(snapshot.network_rules),
            "gaps": len(snapshot.gaps),
        },
        "requests": total,
        "minimal": minimal,
        "ratio": round(total / minimal, 3),
        "by_operation": requests,
    }


def _minimal_plan(requests: dict[str, int], regions: int, buckets: int) -> int:
    """The fewest requests that can read this estate: the plan the collector should follow.

    Authorization-details pages are taken as observed, since their number is set by AWS.
    """
    pages = requests.get("iam.GetAccountAuthorizationDetails", 1)
    sts_and_account_block_and_listing = 3
    # Outside an organization one DescribeOrganization says there are no SCPs to read.
    organization = 1
    return (
        pages
        + REPORT_CALLS
        + 2 * regions
        + BUCKET_CALLS * buckets
        + sts_and_account_block_and_listing
        + organization
    )


def _seed(session: boto3.Session, principals: int, regions: list[str], buckets: int) -> None:
    """A realistic mix: 60% users (a third with keys), 25% roles, 5% groups, 10% policies."""
    iam = session.client("iam")
    counts = {
        "policies": max(1, principals // 10),
        "groups": max(1, principals // 20),
        "roles": principals // 4,
    }
    counts["users"] = max(0, principals - sum(counts.values()))

    policy_arns = _parallel(_policy_seeder(iam), range(counts["policies"]))
    _parallel(_group_seeder(iam, policy_arns), range(counts["groups"]))
    # One at a time: moto looks roles up by walking its role table, which another thread's
    # create_role can change mid-walk ("dictionary changed size during iteration").
    _parallel(_role_seeder(iam, policy_arns), range(counts["roles"]), workers=1)
    _parallel(_user_seeder(iam, policy_arns, counts["groups"]), range(counts["users"]))
    for region in regions:
        _seed_network(session.client("ec2", region_name=region))
    _parallel(_bucket_seeder(session.client("s3")), range(buckets))


def _parallel(
    work: Callable[[int], Any], items: Iterable[int], workers: int = SEED_WORKERS
) -> list[Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))


def _document(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _policy_seeder(iam: Any) -> Callable[[int], str]:
    def seed(number: int) -> str:
        action = ["s3:GetObject", "s3:PutObject"] if number % 2 else ["ec2:Describe*"]
        document = _document({"Effect": "Allow", "Action": action, "Resource": "*"})
        answer = iam.create_policy(PolicyName=f"team-policy-{number}", PolicyDocument=document)
        return str(answer["Policy"]["Arn"])

    return seed


def _group_seeder(iam: Any, policies: list[str]) -> Callable[[int], None]:
    def seed(number: int) -> None:
        iam.create_group(GroupName=f"team-{number}")
        iam.attach_group_policy(
            GroupName=f"team-{number}", PolicyArn=policies[number % len(policies)]
        )

    return seed


def _role_seeder(iam: Any, policies: list[str]) -> Callable[[int], None]:
    def seed(number: int) -> None:
        trustee = (
            {"Service": "lambda.amazonaws.com"}
            if number % 3
            else {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        )
        trust = _document({"Effect": "Allow", "Principal": trustee, "Action": "sts:AssumeRole"})
        iam.create_role(RoleName=f"service-role-{number}", AssumeRolePolicyDocument=trust)
        iam.attach_role_policy(
            RoleName=f"service-role-{number}", PolicyArn=policies[number % len(policies)]
        )

    return seed


def _user_seeder(iam: Any, policies: list[str], groups: int) -> Callable[[int], None]:
    def seed(number: int) -> None:
        name = f"user-{number}"
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName=f"team-{number % groups}", UserName=name)
        if number % 3 == 0:
            iam.create_access_key(UserName=name)
        if number % 10 == 0:
            iam.attach_user_policy(UserName=name, PolicyArn=policies[number % len(policies)])

    return seed


def _seed_network(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    for number in range(25):
        group = ec2.create_security_group(
            GroupName=f"app-{number}", Description="bench", VpcId=vpc
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                }
            ],
        )
        if number % 2 == 0:
            ec2.create_network_interface(SubnetId=subnet, Groups=[group])


def _bucket_seeder(s3: Any) -> Callable[[int], None]:
    def seed(number: int) -> None:
        name = f"bench-bucket-{number:03d}"
        s3.create_bucket(Bucket=name)
        if number % 4 == 0:
            statement = {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
            s3.put_bucket_policy(Bucket=name, Policy=_document(statement))

    return seed


def _print(result: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ztdrift AWS scan benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("principals_seeded", "buckets", "seed_seconds", "scan_seconds"):
        table.add_row(key, str(result[key]))
    for key in ("peak_traced_mib", "max_rss_mib", "requests", "minimal", "ratio"):
        table.add_row(key, str(result[key]))
    for operation, count in result["by_operation"].items():
        table.add_row(f"  {operation}", str(count))
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
