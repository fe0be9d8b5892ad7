"""Reads the case database. Nothing here imports streamlit."""
