"""One module per AWS service, each with ensure_* (create, or update what drifted; safe to repeat)
and delete_* (remove what the stack declares; nothing there is fine) for its kinds of resource."""
