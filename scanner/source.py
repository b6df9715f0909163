"""What a source is: a named reader of one kind of input, and the registry of all of them.

A source turns its input (plan files, stack files, HCL directories, live accounts) into
`Inventory` records in the Terraform AWS provider's vocabulary.  Everything else — folding, the
engine, waivers and baselines, the report, the CLI's ``scan`` commands, the schemas' source
names — is shared and follows the registry, so a new source is one module and one line in
`scanner/sources/__init__.py`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Self, Sequence, cast

from .errors import InputError
from .coverage import fold
from .inputs import is_results, parse_json, read_input
from .model import Inventory, Result

if TYPE_CHECKING:
    from .catalog import Selection

#: The first bytes of a zip archive: what ``terraform plan -out`` writes.
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Reading:
    """What a source read: inventories for the engine, and what the source decides itself."""

    inventories: list[Inventory]
    #: Verdicts the source reached without the engine (checkov's on HCL), reported as they are.
    results: list[Result] = field(default_factory=list)
    #: A second opinion joined into the engine's results once they exist (checkov on a plan).
    merge: Callable[[list[Result], list[Inventory]], list[Result]] | None = None
    #: Scan-level facts for the report (API call counts, the checkov that ran).
    extra: dict[str, Any] = field(default_factory=dict)


class Source(ABC):
    """A registered reader.  Subclasses declare the class attributes and implement `read`."""

    #: name → the one instance of each source, in registration order.
    registry: ClassVar[dict[str, "Source"]] = {}

    #: The ``source`` of every resource and result it yields (``terraform-plan``).
    name: ClassVar[str]
    #: ``vendorguard scan <command>``.
    command: ClassVar[str]
    #: How reports and errors name one input of it ("a Terraform plan").
    title: ClassVar[str]
    #: One line for ``--help``.
    summary: ClassVar[str]
    #: Reads files (every value is in memory, nothing cyclic is built): the pipeline may switch
    #: the cyclic garbage collector off, a third of a large plan's scan.  Live scans keep it.
    offline: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # a base that only shares code is not a source
            if cls.name in Source.registry:
                raise ValueError(f"two sources are named {cls.name}")
            Source.registry[cls.name] = cls()

    @classmethod
    def instance(cls) -> Self:
        """The registered instance of this source."""
        return cast(Self, Source.registry[cls.name])

    @abstractmethod
    def read(self, inputs: Sequence[str], selection: "Selection", **options: Any) -> Reading:
        """Read every input, or raise `InputError` for the first that cannot be used."""


class DocumentSource(Source):
    """A source whose inputs are JSON files (or stdin), recognised by their content."""

    #: What a user should give it, for the error when a file is something else.
    expected: ClassVar[str]

    @abstractmethod
    def recognises(self, document: Any) -> bool:
        """Whether a parsed JSON document is this source's kind of input."""

    @abstractmethod
    def inventory(self, name: str, document: Any, account: str | None) -> Inventory:
        """The inventory of one recognised document (unfolded: the pipeline folds it)."""

    def read(self, inputs: Sequence[str], selection: "Selection", *, account_id: str | None = None,
             **_: Any) -> Reading:
        """Every file is read before any is judged, so a bad one fails the scan before any output."""
        return Reading([self.load(*read_input(path), account=account_id) for path in inputs])

    def load(self, name: str, data: bytes, account: str | None = None) -> Inventory:
        """One file's bytes as an inventory, or a one-line `InputError` saying what it is instead."""
        if data.startswith(_ZIP_MAGIC):
            raise InputError(name, "a binary file (a zip, as `terraform plan -out` writes), not JSON: "
                                   "run `terraform show -json FILE > plan.json` and scan that")
        document = parse_json(name, data)
        if not self.recognises(document):
            raise InputError(name, self.mismatch(document))
        return self.inventory(name, document, account)

    def parse(self, name: str, document: Any, account: str | None = None) -> Inventory:
        """A parsed document as a folded inventory — what the pipeline's read and fold stages make
        of it — for callers that hold the document already (the CrossGuard pack, tests)."""
        if not self.recognises(document):
            raise InputError(name, self.mismatch(document))
        return fold(self.inventory(name, document, account))

    def mismatch(self, document: Any) -> str:
        """Why a document is refused: another source's kind (and the command for it), or not ours."""
        for other in Source.registry.values():
            if other is not self and isinstance(other, DocumentSource) and other.recognises(document):
                return f"this is {other.title}, not {self.title}: use `vendorguard scan {other.command}`"
        if is_results(document):
            return f"this is a vendorguard report (the JSON of a scan), not {self.title}: `vendorguard report` renders it"
        return f"not {self.title}: expected {self.expected}"
