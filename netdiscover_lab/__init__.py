"""Local test networks made of Linux network namespaces (for tests, benchmarks and the demo)."""
