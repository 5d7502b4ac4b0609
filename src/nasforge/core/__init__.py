"""Domain-free machinery: optimisation, schedules and (later) search spaces, supernets, search."""
