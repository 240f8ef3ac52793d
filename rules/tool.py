"""The engine's own MC9xx codes, registered here so they are listed and documented."""

from modelcheck.toolcodes import RULE_CRASH, TARGET_ERROR, TIME_BUDGET

__all__ = ["RULE_CRASH", "TARGET_ERROR", "TIME_BUDGET"]
