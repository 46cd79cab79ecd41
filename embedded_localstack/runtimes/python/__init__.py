"""The Python runtime: what runs inside a Python function's execution environment, under the function's
interpreter (any Python 3.8 and up). Standard library only; bootstrap.py is the file the executor starts."""
