"""LocalStack 4.14.0 on the host, without Docker: Lambda functions as local processes, DynamoDB from moto."""
