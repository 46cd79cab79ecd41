"""The runtimes: what runs a function's code. python/ and node/ run inside the function's process (the
language's built-ins only); interpreters.py and node_runtime.py find the interpreter a Lambda runtime
needs and how it starts; aws_guard keeps every function process off real AWS."""
