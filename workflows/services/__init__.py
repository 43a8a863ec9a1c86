"""Services: open a unit of work, load, fire the machines, return what the caller renders."""
