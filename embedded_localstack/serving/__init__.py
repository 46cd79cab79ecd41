"""HTTP for the embedded mode's own processes: the server in front of LocalStack's gateway and of the
DynamoDB process (server.py, request.py, answer.py), and the client LocalStack forwards DynamoDB requests with
(relay.py). Standard library and httptools only: the DynamoDB process imports it without LocalStack's
runtime."""
