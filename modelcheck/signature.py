"""The MLflow model signature: data model and parser (shared by the MC3xx and MC4xx rules).

``signature_of(pkg)`` parses ``MLmodel``'s ``signature`` once per package and returns a
:class:`Signature` holding the parsed schemas (as far as they could be parsed) and a list of
:class:`SigProblem` describing every defect, each tagged with the rule code that reports it.

The data model mirrors MLflow's (``mlflow.types.schema``) without importing it:
``Schema`` is a list of ``ColSpec`` or ``TensorSpec``; a ``ColSpec``'s type is a
``DataType`` (scalar, array, object, map, any, sparkml_vector); params are ``ParamSpec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelcheck.records import Record

if TYPE_CHECKING:
    from modelcheck.package import ModelPackage

SCALAR_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")
COMPOSITE_TYPES = ("array", "object", "map", "any", "sparkml_vector")
PARAM_TYPES = ("boolean", "integer", "long", "float", "double", "string", "datetime", "object")


@dataclass(repr=False, eq=False)
class DataType(Record):
    """A column type. ``kind`` is a scalar name or one of COMPOSITE_TYPES."""

    kind: str
    items: DataType | None = None  # array
    properties: dict[str, Property] = field(default_factory=dict)  # object
    values: DataType | None = None  # map

    def __str__(self) -> str:
        if self.kind == "array":
            return f"Array({self.items})"
        if self.kind == "map":
            return f"Map(str -> {self.values})"
        if self.kind == "object":
            inner = ", ".join(f"{n}: {p.type}" for n, p in self.properties.items())
            return f"Object({inner})"
        return self.kind


@dataclass(repr=False, eq=False)
class Property(Record):
    """One property of an object column type."""

    name: str
    type: DataType
    required: bool = True


@dataclass(repr=False, eq=False)
class ColSpec(Record):
    """One column of a column-based schema."""

    type: DataType
    name: str | int | None = None
    # ``required`` as written: True/False, or None when the key is absent. What a missing key
    # means depends on the reader's MLflow version: see :meth:`is_required`.
    required: bool | None = None
    legacy_optional: bool = False  # MLflow 2.4-2.9 ``"optional": true``

    def is_required(self, reader_major: int = 3) -> bool:
        if self.legacy_optional:
            return False
        if self.required is not None:
            return bool(self.required)
        if self.type.kind in SCALAR_TYPES:
            return True
        # array/object/map/any without "required": 3.x reads optional, 2.x required
        return reader_major < 3


@dataclass(repr=False, eq=False)
class TensorSpec(Record):
    """One tensor of a tensor-based schema."""

    dtype: str  # numpy dtype name as written, e.g. "float32", "str", "object"
    shape: tuple[int, ...]
    name: str | None = None


@dataclass(repr=False, eq=False)
class Schema(Record):
    """A signature's inputs or outputs: column specs or tensor specs."""

    specs: list[ColSpec | TensorSpec]

    @property
    def is_tensor(self) -> bool:
        return bool(self.specs) and isinstance(self.specs[0], TensorSpec)

    @property
    def has_names(self) -> bool:
        return bool(self.specs) and all(s.name not in (None, "") for s in self.specs)

    def names(self) -> list[str | int | None]:
        return [s.name for s in self.specs]


@dataclass(repr=False, eq=False)
class ParamSpec(Record):
    """One inference parameter of the signature's ``params``."""

    name: str
    type: DataType  # scalar kind, or "object" with properties
    default: Any = None
    shape: tuple[int, ...] | None = None


@dataclass(repr=False, eq=False)
class SigProblem(Record):
    """One signature defect. ``code`` is the MC3xx rule that reports it."""

    code: str
    message: str
    section: str | None = None  # "inputs" / "outputs" / "params" / None for the container
    pointer: str = "/signature"
    level: str | None = None  # overrides the rule's default level ("error"/"warning"/"note")
    fix: str | None = None
    key: str | None = None


@dataclass(repr=False, eq=False)
class Signature(Record):
    """MLmodel's ``signature``, parsed, with the defects found."""

    present: bool = False
    inputs: Schema | None = None
    outputs: Schema | None = None
    params: list[ParamSpec] | None = None
    problems: list[SigProblem] = field(default_factory=list)
    # raw JSON text of each section as found (for positions and messages)
    raw: dict[str, Any] = field(default_factory=dict)


def signature_of(pkg: ModelPackage) -> Signature:
    """The package's parsed signature (cached per package)."""
    return pkg.memo("signature", lambda: parse_signature(pkg.meta.get("signature"),
                                                         pkg.mlflow_version))


def parse_signature(value: Any, mlflow_version: Any = None) -> Signature:
    """Parse MLmodel's ``signature`` value; never raises for bad input."""
    from modelcheck.signature_parse import parse

    return parse(value, mlflow_version)
