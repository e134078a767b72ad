"""The one table of time units: days per unit, for every module that converts durations.

A month is a twelfth of the Julian year, 365.25 / 12 = 30.4375 days (exact in binary floating
point), so twelve months make a year in every module.
"""

from __future__ import annotations

from types import MappingProxyType

#: Days per unit of time (read-only).
UNITS = MappingProxyType({"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25})
