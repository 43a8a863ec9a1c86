"""The pages' routes, one module per page (and its fetches)."""
