"""The domain: the machines, their guards and hooks, and the services that fire them."""
