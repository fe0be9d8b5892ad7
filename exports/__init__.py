"""Exports take DataFrames and return file bytes; pages offer them, cli.py writes them to files."""
