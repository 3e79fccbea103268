"""EduLedger's core library: chain, content, credentials and the personal-data vault.

No web framework lives here; the registry and the wallet CLI build on this package.
"""

from __future__ import annotations

from ._exceptions import *  # noqa: F403
from ._exceptions import __all__ as _exception_names
from ._json import MAX_JSON_DEPTH as MAX_JSON_DEPTH
from ._json import check_json_value as check_json_value
from ._json import strict_loads as strict_loads

__all__ = sorted([*_exception_names, "MAX_JSON_DEPTH", "check_json_value", "strict_loads"])
__version__ = "0.1.0"
