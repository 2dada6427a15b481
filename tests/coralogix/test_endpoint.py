import pytest

from bot.coralogix.endpoint import REGION_ENDPOINTS, resolve_endpoint

WIRE_DOC_REGIONS = {
    "EU1": "ng-api-grpc.coralogix.com:443",
    "EU2": "ng-api-grpc.eu2.coralogix.com:443",
    "US1": "ng-api-grpc.coralogix.us:443",
    "US2": "ng-api-grpc.cx498.coralogix.com:443",
    "US3": "ng-api-grpc.us3.coralogix.com:443",
    "AP1": "ng-api-grpc.app.coralogix.in:443",
    "AP2": "ng-api-grpc.coralogixsg.com:443",
    "AP3": "ng-api-grpc.ap3.coralogix.com:443",
}


def test_region_table_is_the_wire_contract():
    assert REGION_ENDPOINTS == WIRE_DOC_REGIONS


@pytest.mark.parametrize(("region", "expected"), sorted(WIRE_DOC_REGIONS.items()))
def test_each_region(region, expected):
    assert resolve_endpoint(region, None, None) == expected


@pytest.mark.parametrize(
    ("region", "domain", "explicit", "expected"),
    [
        ("eu2", None, None, "ng-api-grpc.eu2.coralogix.com:443"),
        (" US2 ", None, None, "ng-api-grpc.cx498.coralogix.com:443"),
        ("EU1", "example.coralogix.com", None, "ng-api-grpc.example.coralogix.com:443"),
        ("EU1", "api.example.coralogix.com", None, "ng-api-grpc.example.coralogix.com:443"),
        ("EU1", "https://api.acme.io/", None, "ng-api-grpc.acme.io:443"),
        ("EU1", "ng-api-grpc.acme.io", None, "ng-api-grpc.acme.io:443"),
        ("EU1", "coralogix.us", None, REGION_ENDPOINTS["US1"]),
        ("EU1", "  ", None, REGION_ENDPOINTS["EU1"]),
        ("EU1", "acme.io", "localhost:50051", "localhost:50051"),
        ("NOPE", "acme.io", "10.0.0.1:4443", "10.0.0.1:4443"),
        ("NOPE", "acme.io", None, "ng-api-grpc.acme.io:443"),
        ("EU1", None, "[::1]:50051", "[::1]:50051"),
        ("EU1", None, "dns:///grpc.internal:443", "dns:///grpc.internal:443"),
        ("EU1", None, "", REGION_ENDPOINTS["EU1"]),
    ],
)
def test_explicit_wins_over_domain_over_region(region, domain, explicit, expected):
    assert resolve_endpoint(region, domain, explicit) == expected


def test_unknown_region_names_the_choices():
    with pytest.raises(
        ValueError, match=r"Unknown Coralogix region 'EU9'.*EU1, EU2, US1, US2, US3, AP1, AP2, AP3"
    ):
        resolve_endpoint("EU9", None, None)


@pytest.mark.parametrize("explicit", ["localhost", "host:port", "host:0", "host:70000", ":443"])
def test_explicit_endpoint_needs_a_port(explicit):
    with pytest.raises(ValueError, match="expected host:port"):
        resolve_endpoint("EU1", None, explicit)


@pytest.mark.parametrize("domain", ["acme.io:443", "two words.io"])
def test_bad_domain(domain):
    with pytest.raises(ValueError, match="Invalid Coralogix domain"):
        resolve_endpoint("EU1", domain, None)
