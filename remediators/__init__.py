"""Remediators: turn findings into Terraform patches or waiver proposals, and pull requests."""

from remediators.plan import Plan, build_plans, write_plans

__all__ = ["Plan", "build_plans", "write_plans"]
