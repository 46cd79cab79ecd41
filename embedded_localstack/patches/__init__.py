"""The platform's changes inside LocalStack, one module each, applied when LocalStack loads the
platform's plugins (embedded_localstack/plugins.py). Each says why it exists, checks the LocalStack
release it was read against (localstack_pin.py) before it changes anything, and has a unit test that
fails when LocalStack's code under it changes."""
