"""Where the IncidentsService lives: an explicit `host:port`, a custom domain, or a region."""

from __future__ import annotations

REGION_ENDPOINTS: dict[str, str] = {
    "EU1": "ng-api-grpc.coralogix.com:443",
    "EU2": "ng-api-grpc.eu2.coralogix.com:443",
    "US1": "ng-api-grpc.coralogix.us:443",
    "US2": "ng-api-grpc.cx498.coralogix.com:443",
    "US3": "ng-api-grpc.us3.coralogix.com:443",
    "AP1": "ng-api-grpc.app.coralogix.in:443",
    "AP2": "ng-api-grpc.coralogixsg.com:443",
    "AP3": "ng-api-grpc.ap3.coralogix.com:443",
}

_GRPC_HOST_PREFIX = "ng-api-grpc."
_API_HOST_PREFIX = "api."
_TARGET_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")


def resolve_endpoint(region: str, domain: str | None, explicit: str | None) -> str:
    """The gRPC target to dial: `explicit` wins over `domain`, which wins over `region`."""
    if explicit and explicit.strip():
        return _checked_target(explicit.strip())
    if domain and domain.strip():
        return domain_endpoint(domain)
    return region_endpoint(region)


def region_endpoint(region: str) -> str:
    """The endpoint of a Coralogix region such as `EU1` (case-insensitive)."""
    try:
        return REGION_ENDPOINTS[region.strip().upper()]
    except KeyError:
        known = ", ".join(REGION_ENDPOINTS)
        raise ValueError(f"Unknown Coralogix region {region!r}; expected one of {known}") from None


def domain_endpoint(domain: str) -> str:
    """`D`, `api.D` (or a URL of either) -> `ng-api-grpc.D:443`."""
    host = domain.strip().lower()
    for scheme in ("https://", "http://"):
        host = host.removeprefix(scheme)
    host = host.split("/", 1)[0].rstrip(".")
    if not host or ":" in host or " " in host:
        raise ValueError(f"Invalid Coralogix domain {domain!r}; expected a bare domain such as coralogix.com")
    if host.startswith(_GRPC_HOST_PREFIX):
        return f"{host}:443"
    return f"{_GRPC_HOST_PREFIX}{host.removeprefix(_API_HOST_PREFIX)}:443"


def _checked_target(target: str) -> str:
    """Accept `host:port`, `[v6]:port` or a gRPC target URI; refuse a host with no port."""
    if "://" in target or target.startswith(_TARGET_SCHEMES):
        return target
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"Invalid Coralogix gRPC endpoint {target!r}; expected host:port")
    return target
