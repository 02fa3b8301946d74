"""The `opencsms` command line."""
