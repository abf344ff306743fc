"""Render: outputs for people — fill-in templates (fillin), PDFs (pdf) and the to-do calendar (ics).

Import the submodules you need: ``formflow.render.pdf`` loads WeasyPrint, which the
other commands should not pay for.
"""
