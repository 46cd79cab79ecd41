"""Code every shop function shares: HTTP plumbing over Powertools, the API contract, DynamoDB access."""
