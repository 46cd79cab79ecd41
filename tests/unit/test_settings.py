import pytest

from shop import settings


@pytest.mark.parametrize("url", ["http://127.0.0.1:4566", "http://localhost:4566", "http://localstack:4566"])
def test_local_endpoints_are_accepted(url):
    assert settings.require_local_endpoint(url) == url


@pytest.mark.parametrize("url", ["https://lambda.us-east-1.amazonaws.com", "http://10.0.0.5:4566"])
def test_non_local_endpoints_are_refused_unless_real_aws_is_allowed(url, monkeypatch):
    monkeypatch.setattr(settings, "ALLOW_REAL_AWS", False)
    with pytest.raises(settings.RealAwsRefused, match="ALLOW_REAL_AWS=1"):
        settings.require_local_endpoint(url)

    monkeypatch.setattr(settings, "ALLOW_REAL_AWS", True)
    assert settings.require_local_endpoint(url) == url
