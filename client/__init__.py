"""A small client of the running shop, for the tools, the tests and the benchmarks: its HTTP APIs
(shop.py), its queues (queues.py), the SES mailbox (mailbox.py), and the one way to wait for
something to happen (waiting.py), with deadlines derived from configuration (deadlines.py).
Imports infra/ (names, settings) and never tools/, tests/ or bench/."""
