"""One module per group of endpoints; `api.app` includes them all."""
