"""What the init hooks, the tests and the tools share: settings, resource names, AWS clients."""
