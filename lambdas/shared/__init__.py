"""Code every shop function shares: HTTP plumbing over Powertools, the API contract, DynamoDB access."""

from shared import aws_calls

# Before any client exists: every function imports `shared` first thing.
aws_calls.install()
