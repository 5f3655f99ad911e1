"""Shared Streamlit widgets, formatting and data access for the pages."""
