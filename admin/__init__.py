"""Data administration: seed files and the demo hotel."""
