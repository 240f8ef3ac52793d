"""The engine's own MC9xx codes, registered here so they are listed and documented."""

from modelcheck.toolcodes import RULE_CRASH, TARGET_ERROR

__all__ = ["RULE_CRASH", "TARGET_ERROR"]
