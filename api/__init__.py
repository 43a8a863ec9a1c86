"""The outside of Turnover: REST API, realtime delivery, command line."""
