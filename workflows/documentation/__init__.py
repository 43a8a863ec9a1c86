"""Documentation generated from the machines: definitions, diagrams, pages."""
