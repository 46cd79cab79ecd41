"""The make targets' tools (demo, trace, dlq/redrive, urls, Docker mode). Each returns data; a thin
printer turns it into the lines `make` shows. Imports client/ and infra/, never tests/ or bench/."""
