"""The one way to wait lives in the platform (embedded_localstack/waiting.py), where the pytest plugin
ships it to every app; the shop's code imports it from here."""

from embedded_localstack import eventually

__all__ = ["eventually"]
