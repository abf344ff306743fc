"""Definitions: load and validate the YAML of a workspace into frozen typed objects."""
