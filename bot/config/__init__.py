"""Settings, from the environment and the YAML file (whose routes/users/permissions model is routing_file).

`load_settings` is the one entry point: it gathers values from the file named by `BOT_CONFIG` and from
the environment (which wins), validates everything at once and raises `SettingsError` with one line per
problem, each naming the setting or the place in the file.

`settings` (the fields and their validators), `loading` (the file and the environment gathered),
`problems` (validation errors in words) and `summary` (the effective configuration, safe to print).
"""

from bot.config.loading import load_settings
from bot.config.settings import REGIONS, SETTING_NAMES, Settings
from bot.config.summary import authority_rows, mask_secret, masked_summary
from bot.domain import Action
from bot.routing_file import MAPPED, ROUTABLE_SEVERITIES, Route, RouteMatch, RoutingConfig, UserMapping

__all__ = [  # the file's model is re-exported: callers know it as part of the settings
    "MAPPED",
    "REGIONS",
    "ROUTABLE_SEVERITIES",
    "SETTING_NAMES",
    "Action",
    "Route",
    "RouteMatch",
    "RoutingConfig",
    "Settings",
    "UserMapping",
    "authority_rows",
    "load_settings",
    "mask_secret",
    "masked_summary",
]
