"""The lifecycle of an embedded LocalStack: an instance (instance.py), starting it (start.py), stopping it
(stop.py), its status and its init hooks' state, and the reaper that ends its function processes when
LocalStack dies."""
