"""Scan one moto estate with ztdrift and with Prowler, in one run, and compare them.

Seeds a loopback moto server (the estate of bench/aws_scan.py plus administrators, a public
write bucket and open egress), then runs each tool as its own process against it and reports
wall time, peak memory (the child's max RSS), the HTTP requests moto answered for each tool,
and whether every Prowler failure on the four shared concerns (long-lived keys, standing
admins, open egress, public data) is also reported by ztdrift.

Prowler is never installed into the project: point --prowler at a separate virtualenv's
`prowler`. Nothing leaves 127.0.0.1: fake credentials, metadata lookups disabled, and both
tools get HTTP(S)_PROXY set to a closed loopback port so any non-loopback request fails.

    python bench/side_by_side.py --principals 1000 --prowler /tmp/prowler-venv/bin/prowler
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aws_scan  # the estate seeder shared with the single-tool benchmark
from side_by_side_match import PROWLER_CHECKS, compare_findings, prowler_failures

from scanner.demo.estate import route_s3control_to_loopback
from scanner.demo.moto import safe_environment

log = logging.getLogger("bench.side_by_side")
HERE = Path(__file__).resolve().parent
ACCOUNT = aws_scan.ACCOUNT
DEFAULT_PROWLER = "/tmp/prowler-venv/bin/prowler"
# A closed loopback port: anything that ignores AWS_ENDPOINT_URL fails here instead of
# reaching the internet.
DEAD_PROXY = "http://127.0.0.1:9"


def main() -> int:
    """Run both tools; exit 1 when ztdrift misses a finding Prowler reports on the concerns."""
    args = _arguments()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    for noisy in ("werkzeug", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    safe_environment()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]

    counter = multiprocessing.Value("l", 0)
    stop, endpoint = _start_counting_moto(counter)
    try:
        result = _run(args, regions, endpoint, counter)
    finally:
        stop()

    print(json.dumps(result, indent=2))
    return 0 if not result["missed_by_ztdrift"] else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, default=50, help="estate size (default 50)")
    parser.add_argument("--regions", default="us-east-1,eu-west-1")
    parser.add_argument("--buckets", type=int, default=20)
    parser.add_argument("--prowler", default=DEFAULT_PROWLER, help="Prowler in its own venv")
    parser.add_argument("--keep", type=Path, help="keep both tools' outputs in this directory")
    return parser.parse_args()


def _start_counting_moto(counter: Any) -> tuple[Any, str]:
    """moto in a child process behind a WSGI wrapper that counts every API request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=_serve, args=(port, stop, counter), daemon=True)
    child.start()

    endpoint = f"http://127.0.0.1:{port}"
    aws_scan._wait_until_up(endpoint)
    os.environ["AWS_ENDPOINT_URL"] = endpoint

    def stopper() -> None:
        stop.set()
        child.join(timeout=10)

    return stopper, endpoint


def _serve(port: int, stop: Any, counter: Any) -> None:
    import threading

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            with counter.get_lock():
                counter.value += 1
        return app(environ, start_response)

    server = make_server("127.0.0.1", port, counting, True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    server.shutdown()


def _run(args: argparse.Namespace, regions: list[str], endpoint: str, counter: Any) -> Any:
    session = boto3.Session(region_name="us-east-1")
    route_s3control_to_loopback(session)
    started = time.perf_counter()
    aws_scan._seed(session, args.principals, regions, args.buckets)
    _seed_concerns(session)
    log.info("seeded %d principals in %.1f s", args.principals, time.perf_counter() - started)

    work = args.keep or Path(tempfile.mkdtemp(prefix="ztdrift-side-by-side-"))
    zt = _measure(
        [sys.executable, str(HERE / "side_by_side_ztdrift.py"), str(work / "ztdrift"), *regions],
        endpoint,
        counter,
    )
    pr = _measure(_prowler_command(args.prowler, regions, work / "prowler"), endpoint, counter)

    zt_findings = json.loads((work / "ztdrift" / "findings.json").read_text())["findings"]
    failures = prowler_failures(work / "prowler")
    comparison = compare_findings(failures, zt_findings)
    return {
        "principals": args.principals,
        "regions": regions,
        "buckets": args.buckets,
        "ztdrift": zt,
        "prowler": pr,
        "wall_ratio": round(pr["wall_seconds"] / zt["wall_seconds"], 1),
        "request_ratio": round(pr["requests"] / max(1, zt["requests"]), 1),
        "memory_ratio": round(pr["max_rss_mib"] / zt["max_rss_mib"], 1),
        "prowler_checks": PROWLER_CHECKS,
        **comparison,
    }


def _measure(command: list[str], endpoint: str, counter: Any) -> dict[str, Any]:
    """Run one tool as a child process: wall time, its max RSS, and moto's request count."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "HTTP_PROXY": DEAD_PROXY,
        "HTTPS_PROXY": DEAD_PROXY,
        "http_proxy": DEAD_PROXY,
        "https_proxy": DEAD_PROXY,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    with counter.get_lock():
        counter.value = 0
    log.info("running %s", " ".join(command[:3]))

    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read() if child.stderr else b""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)

    log.info("  %.1f s, exit %d", wall, child.returncode)
    if child.returncode not in (0, 1, 3):
        raise RuntimeError(f"{command[0]} failed ({child.returncode}): {stderr.decode()[-2000:]}")
    return {
        "wall_seconds": round(wall, 2),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "requests": int(counter.value),
        "exit_code": child.returncode,
    }


def _prowler_command(prowler: str, regions: list[str], out: Path) -> list[str]:
    return [
        prowler,
        "aws",
        "--no-banner",
        "--region",
        *regions,
        "--checks",
        *PROWLER_CHECKS,
        "--output-formats",
        "json-ocsf",
        "--output-directory",
        str(out),
        "--output-filename",
        "prowler",
    ]


def _seed_concerns(session: boto3.Session) -> None:
    """What the concerns need beyond the bulk estate: administrators and a public write bucket.

    Open egress needs nothing more: every security group moto creates, like AWS, starts with
    egress to 0.0.0.0/0.
    """
    iam = session.client("iam")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam.create_user(UserName="ops-admin")
    iam.attach_user_policy(UserName="ops-admin", PolicyArn=admin)
    iam.create_access_key(UserName="ops-admin")
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin)
    iam.add_user_to_group(GroupName="admins", UserName="user-0")
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    iam.create_role(
        RoleName="break-glass",
        AssumeRolePolicyDocument=aws_scan._document({**trust, "Action": "sts:AssumeRole"}),
    )
    iam.attach_role_policy(RoleName="break-glass", PolicyArn=admin)
    star = aws_scan._document({"Effect": "Allow", "Action": "*", "Resource": "*"})
    iam.put_user_policy(UserName="user-1", PolicyName="everything", PolicyDocument=star)

    s3 = session.client("s3")
    s3.create_bucket(Bucket="bench-public-write")
    s3.put_bucket_acl(Bucket="bench-public-write", ACL="public-read-write")


if __name__ == "__main__":
    sys.exit(main())
