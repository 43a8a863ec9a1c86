"""Configuration: one settings module for every package."""
