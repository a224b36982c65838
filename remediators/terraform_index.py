"""Index of a Terraform checkout: every resource block with its file, position and literal values.

Each `.tf` file is parsed twice: by python-hcl2, which decides whether the file is valid HCL,
and by our positional scanner, which says where things are. A file either one cannot read is
left out (and logged), so nothing in it is ever matched or edited.

Resources inside called modules are not followed: a problem managed through a module's
variables gets a waiver proposal, not an edit of the module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import hcl2

from remediators.hcl_scan import Block, ScanError, parse_blocks, reference, string_literal
from scanner.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TfFile:
    """One `.tf` file: path relative to the checkout root, exact text, top-level blocks."""

    path: str
    text: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class TfResource:
    """One `resource` (or `data`) block of the root of a checkout directory."""

    mode: str
    type: str
    name: str
    file: TfFile
    block: Block

    @property
    def address(self) -> str:
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def directory(self) -> str:
        return str(Path(self.file.path).parent)

    @property
    def repeated(self) -> bool:
        """True for `count`/`for_each` blocks: one block, many objects, so never edited."""
        return any(self.block.attribute(a) for a in ("count", "for_each"))

    def expr(self, name: str) -> str | None:
        """The source text of an attribute's value."""
        attr = self.block.attribute(name)
        return None if attr is None else self.file.text[attr.value_start : attr.value_end]

    def literal(self, name: str) -> str | None:
        """An attribute's value when it is a plain string literal."""
        expr = self.expr(name)
        return None if expr is None else string_literal(expr)


def read_text(path: Path) -> str:
    """A file's exact text; newlines are not translated so the bytes round-trip."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", where=str(path)) from exc


def load_file(root: Path, path: Path) -> TfFile | None:
    """Parse one file, or None (logged) if either parser rejects it."""
    rel = path.relative_to(root).as_posix()
    text = read_text(path)
    try:
        hcl2.loads(text)
        blocks = parse_blocks(text, rel)
    except ScanError as exc:
        log.warning("skipping %s: %s", rel, exc)
        return None
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds for bad HCL
        log.warning("skipping %s: not valid HCL (%s)", rel, type(exc).__name__)
        return None
    return TfFile(rel, text, tuple(blocks))


def _tf_paths(root: Path) -> list[Path]:
    """Every `.tf` file under root, skipping hidden directories such as `.terraform`."""
    paths = []
    for path in sorted(root.rglob("*.tf")):
        parts = path.relative_to(root).parts
        if not any(part.startswith(".") for part in parts[:-1]):
            paths.append(path)
    return paths


class TerraformIndex:
    """All resources of a checkout, looked up by type, address and literal attribute."""

    def __init__(self, root: Path, files: list[TfFile]) -> None:
        self.root = root
        self.files = {f.path: f for f in files}
        self.resources: list[TfResource] = []
        for tf_file in files:
            for block in tf_file.blocks:
                if block.type in ("resource", "data") and len(block.labels) == 2:
                    res = TfResource(block.type, block.labels[0], block.labels[1], tf_file, block)
                    self.resources.append(res)

    @classmethod
    def load(cls, root: Path) -> TerraformIndex:
        """Read every `.tf` file under `root`."""
        if not root.is_dir():
            raise InputError("Terraform directory does not exist", where=str(root))
        files = [f for p in _tf_paths(root) if (f := load_file(root, p)) is not None]
        log.debug("indexed %d Terraform files under %s", len(files), root)
        return cls(root, files)

    def of_type(self, type_: str, mode: str = "resource") -> list[TfResource]:
        """Resources of one type, in file order."""
        return [r for r in self.resources if r.type == type_ and r.mode == mode]

    def by_address(self, address: str) -> list[TfResource]:
        """Resources with this address; more than one means several root directories."""
        return [r for r in self.resources if r.address == address]

    def resolve(self, res: TfResource, attr: str, target_type: str, target_attr: str) -> str | None:
        """The literal an attribute means: itself, or via a reference to `target_type`.

        `user = aws_iam_user.ci.name` resolves to that user's literal `name`; `.id` counts as
        the name for IAM principals and as `bucket` for S3 buckets, as in the provider.
        """
        expr = res.expr(attr)
        if expr is None:
            return None
        literal = string_literal(expr)
        if literal is not None:
            return literal
        ref = reference(expr)
        if ref is None or len(ref) != 3 or ref[0] != target_type:
            return None
        if ref[2] not in (target_attr, "id"):
            return None
        targets = [r for r in self.by_address(f"{ref[0]}.{ref[1]}") if r.directory == res.directory]
        return targets[0].literal(target_attr) if len(targets) == 1 else None

    def refers_to(self, res: TfResource, attr: str, target: TfResource) -> bool:
        """True if `attr` is a reference to `target` (any of its attributes)."""
        expr = res.expr(attr)
        ref = reference(expr) if expr is not None else None
        if ref is None or len(ref) < 2 or res.directory != target.directory:
            return False
        if ref[0] == "data":
            return target.mode == "data" and ref[1:3] == (target.type, target.name)
        return target.mode == "resource" and ref[:2] == (target.type, target.name)
