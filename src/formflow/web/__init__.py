"""The web desk (``formflow serve``): the workspace's forms, records and to-do list in a local browser.

Modules: :mod:`~formflow.web.server` (start, serve), :mod:`~formflow.web.app` (the WSGI app),
:mod:`~formflow.web.security` (loopback, token, CSRF), :mod:`~formflow.web.desk` (reading the
workspace), :mod:`~formflow.web.submit` (inbox files and passes), :mod:`~formflow.web.checks`
and :mod:`~formflow.web.fields` (the engine's checks placed on the page), :mod:`~formflow.web.pages`
(what each page shows), :mod:`~formflow.web.cli` (the ``serve`` command).
"""
