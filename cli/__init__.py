"""The `turnover` command line."""
