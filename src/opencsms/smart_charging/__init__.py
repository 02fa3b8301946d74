"""Smart charging services that do I/O: the load manager (allocation is pure, in ``domain``)."""
