"""The machines: states, transitions, guards with their refusals, hooks, who may fire what."""
