"""Realtime delivery: the outbox relay (to Pusher Channels) and the server-sent-events stream."""
