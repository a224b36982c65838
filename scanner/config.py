"""The configuration file (`ztdrift.yaml`), validated with clear errors.

Paths in the file are relative to the file's own directory. Command-line flags win over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from scanner.errors import InputError

CONFIG_NAME = "ztdrift.yaml"


class AwsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(default_factory=list)
    profile: str | None = None


class AzureSettings(BaseModel):
    """Azure: where to collect, with which credential, and which endpoints (sovereign clouds,
    Azure Stack Hub). Unset values fall back to the `ZTDRIFT_AZURE_*` environment variables."""

    model_config = ConfigDict(extra="forbid")

    # A management group id; unset scans every subscription the identity can see.
    scope: str | None = None
    credential: Literal["default", "cli", "environment", "workload-identity"] | None = None
    resource_manager: str | None = None
    graph: str | None = None
    authority: str | None = None
    ca_bundle: Path | None = None
    # Unset: the top-level max_key_age_days (90 by default).
    max_secret_age_days: int | None = Field(default=None, ge=1)


class TerraformDirectory(BaseModel):
    """One Terraform root directory and, optionally, its state file."""

    model_config = ConfigDict(extra="forbid")

    dir: Path
    state_file: Path | None = None


class TerraformSettings(BaseModel):
    """Where the Terraform lives: `dir` (and `state_file`), or several `directories`."""

    model_config = ConfigDict(extra="forbid")

    dir: Path = Path(".")
    state_file: Path | None = None
    # Several root directories, each with its own state; when given, `dir` and `state_file`
    # are not used.
    directories: list[TerraformDirectory] = Field(default_factory=list)
    # The repository root that patch paths are relative to (default: the file's directory).
    root: Path = Path(".")

    def resolved(self, base: Path) -> TerraformSettings:
        """Paths relative to `base`, the configuration file's directory."""
        directories = [
            TerraformDirectory(
                dir=base / d.dir, state_file=base / d.state_file if d.state_file else None
            )
            for d in self.directories
        ]
        return self.model_copy(
            update={
                "dir": base / self.dir,
                "state_file": base / self.state_file if self.state_file else None,
                "directories": directories,
                "root": base / self.root,
            }
        )


class OrganizationSettings(BaseModel):
    """AWS Organizations: which member accounts to scan and the role assumed in each."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    max_accounts_in_parallel: int = Field(default=4, ge=1, le=64)
    external_id: str | None = None


class BotSettings(BaseModel):
    """The pull-request bot: labels, limits, timings, redaction and the waiver lifecycle."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(default_factory=lambda: ["ztdrift"])
    max_open: int = Field(default=10, ge=0)
    max_new_per_run: int = Field(default=2, ge=0)
    # One pull request per problem, per cloud resource, or per Terraform module directory.
    grouping: Literal["problem", "resource", "module"] = "problem"
    cooldown_days: int = Field(default=14, ge=0)
    apply_grace_days: int = Field(default=7, ge=0)
    renewal_window_days: int = Field(default=14, ge=1)
    redaction: Literal["auto", "on", "off"] = "auto"
    seconds_between_writes: float = Field(default=1.0, ge=0)
    base: str | None = None


class Config(BaseModel):
    """Every setting, with its default."""

    model_config = ConfigDict(extra="forbid")

    state_dir: Path = Path(".ztdrift/state")
    waivers: Path = Path(".ztdrift/waivers.yaml")
    waiver_horizon_days: int = Field(default=90, ge=1, le=365)
    max_key_age_days: int = Field(default=90, ge=1)
    unused_key_days: int = Field(default=90, ge=1)
    fail_on: Literal["critical", "high", "medium", "low", "info"] = "high"
    waiver_owner: str = "@security"
    aws: AwsSettings = Field(default_factory=AwsSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    terraform: TerraformSettings = Field(default_factory=TerraformSettings)
    organization: OrganizationSettings = Field(default_factory=OrganizationSettings)
    # How often scans are expected (the schedule); the summary warns past twice this.
    expected_interval_hours: float = Field(default=24, gt=0)
    break_glass: list[str] = Field(default_factory=list)
    bot: BotSettings = Field(default_factory=BotSettings)

    def resolved(self, base: Path) -> Config:
        """Make relative paths relative to `base` (the configuration file's directory)."""
        terraform = self.terraform.resolved(base)
        azure = self.azure.model_copy(
            update={"ca_bundle": base / self.azure.ca_bundle if self.azure.ca_bundle else None}
        )
        return self.model_copy(
            update={
                "azure": azure,
                "state_dir": base / self.state_dir,
                "waivers": base / self.waivers,
                "terraform": terraform,
            }
        )


def load(path: Path | None) -> Config:
    """Load the configuration; with no file, the defaults relative to the current directory."""
    if path is None:
        default = Path(CONFIG_NAME)
        if not default.exists():
            return Config().resolved(Path("."))
        path = default
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise InputError("configuration file not found", where=str(path)) from exc
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from exc
    try:
        return Config.model_validate(data).resolved(path.parent)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        raise InputError(f"key {key}: {error['msg']}", where=str(path)) from exc
