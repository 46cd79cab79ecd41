"""The shop's infrastructure: settings, the declared stack, and the code that deploys and destroys it.
Imports lambdas/ (error classes) and nothing from client/, tools/, tests/ or bench/."""
