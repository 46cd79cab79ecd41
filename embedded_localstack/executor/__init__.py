"""The executor: LocalStack's Lambda runtime executor that runs each execution environment as local
processes (local_process.py), the invoke channel and the report pipe between LocalStack and an
environment, the environment's init, and the functions' logs and memory."""
