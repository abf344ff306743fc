"""Render: outputs for people (fill-in templates; PDFs and to-do lists later)."""
