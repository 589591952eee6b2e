"""netdiscover: network scanning and discovery for IT asset management."""

__version__ = "0.1.0"
