"""YAML 1.1 plain scalars as PyYAML's ``safe_load`` (and so MLflow) reads them.

Shared by the ruamel path (yamlio), which corrects ruamel's resolver with these rules, and
the direct block reader (yaml_block), which resolves with them alone and so needs no ruamel.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

# PyYAML's implicit booleans (ruamel's 1.1 resolver also takes y/n/Y/N, which PyYAML reads as
# strings) and what SafeConstructor.construct_yaml_bool maps their lower case to
PYYAML_BOOLS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off "
                         "Off OFF".split())
BOOLS = {"yes": True, "no": False, "y": True, "n": False, "true": True, "false": False,
         "on": True, "off": False}
PYYAML_NULLS = frozenset(("~", "null", "Null", "NULL", ""))
# PyYAML's implicit floats: ruamel's 1.1 resolver also takes floats without a dot or with an
# unsigned exponent (1e5, 1.0e5), which PyYAML reads as strings
PYYAML_FLOAT = (r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""")
# PyYAML's implicit ints: ruamel's also take "-_" or "+__" (and then fail to build them)
PYYAML_INT = (r"""[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+""")
# the plain decimal forms built here directly (others: octal, hex, sexagesimal, underscores,
# .inf/.nan are left to ruamel's constructor)
DEC_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
DEC_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# timestamps (both libraries' regexes start so), merge keys and the YAML 1.1 value key:
# never built directly
_OTHER = re.compile(r"[0-9][0-9][0-9][0-9]-|<<\Z|=\Z")

# every character PYYAML_INT or PYYAML_FLOAT can match: a text with any other is neither
_NUMERIC_CHARS = frozenset("0123456789_+-.:xXoObBeEaAcCdDfFiInNtT")
# letters an int or float can hold only after "0x" (hex digits), "0b" or "." (inf, nan): e/E
# (exponents) excepted
_NOT_E = frozenset("xXoObBaAcCdDfFiInNtT")


@functools.cache
def _numeric(pattern: str) -> Callable[[str], Any]:
    return re.compile(pattern, re.X).fullmatch  # compiled on first use: most runs never do


def is_pyyaml_int(text: str) -> bool:
    """PyYAML resolves the plain scalar ``text`` as an int."""
    return _numeric(PYYAML_INT)(text) is not None


def is_pyyaml_float(text: str) -> bool:
    """PyYAML resolves the plain scalar ``text`` as a float."""
    return _numeric(PYYAML_FLOAT)(text) is not None


class NotSimple(Exception):
    """A scalar whose value only the full constructor builds."""


def decimal_float(v: str) -> float:
    """A DEC_FLOAT text's value, as SafeConstructor.construct_yaml_float computes it."""
    s = v.lower()
    sign = -1 if s[0] == "-" else 1
    return sign * float(s[1:] if s[0] in "+-" else s)


def plain_value(text: str) -> Any:
    """The value PyYAML gives the plain scalar ``text``: a str, None, a bool, or an int or
    float in plain decimal form; NotSimple for anything else (timestamps, octal, .inf...)."""
    if text in PYYAML_NULLS:
        return None
    if text in PYYAML_BOOLS:
        return BOOLS[text.lower()]
    if text[0] not in "0123456789+-.<=":  # what every int, float, timestamp... starts with
        return text
    if DEC_INT.fullmatch(text):
        return int(text)
    if _OTHER.match(text):
        raise NotSimple(text)
    if text.count(".") > 1 or not _NUMERIC_CHARS.issuperset(text):
        return text  # "3.11.7", "-r requirements.txt": no int or float has two dots or these
    body = text[1:] if text[0] in "+-" else text
    if body[:2] not in ("0x", "0b") and body[:1] != "." and not _NOT_E.isdisjoint(text):
        return text  # a hex run id such as "16980f64...": only hex ints (0x) have such letters
    if is_pyyaml_int(text):
        raise NotSimple(text)
    if is_pyyaml_float(text):
        if DEC_FLOAT.fullmatch(text):
            return decimal_float(text)
        raise NotSimple(text)
    return text
