"""The ztdrift side of the side-by-side benchmark: one scan, as its own process.

It does what `ztdrift scan --provider aws --no-state` does, with one difference moto needs:
S3 Control requests go to the plain loopback endpoint instead of '<account>.<host>'. Run by
bench/side_by_side.py with the loopback moto endpoint in AWS_ENDPOINT_URL.

    python bench/side_by_side_ztdrift.py OUT_DIR REGION [REGION ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.collectors.aws_live import collect_aws
from scanner.demo.estate import route_s3control_to_loopback
from scanner.findings import Severity
from scanner.pipeline import RunOptions, run
from scanner.timeutil import utcnow


def main() -> int:
    """Scan the account behind AWS_ENDPOINT_URL and write the usual reports to OUT_DIR."""
    out_dir, regions = Path(sys.argv[1]), sys.argv[2:]
    session = boto3.Session(region_name="us-east-1")
    route_s3control_to_loopback(session)

    snapshot = collect_aws(session, regions=regions)
    options = RunOptions(
        out_dir=out_dir,
        now=utcnow(),
        waiver_file=out_dir / "no-waivers.yaml",
        state_dir=None,
        fail_on=Severity.CRITICAL,
        save_state=False,
    )
    _, code = run(snapshot, options)
    return 0 if code in (0, 1) else int(code)


if __name__ == "__main__":
    sys.exit(main())
