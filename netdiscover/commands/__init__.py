"""Click command groups of the netdiscover CLI, one module per group."""
