"""Phone fee collection (电话催费, issue 16): the arrears the billing system reports, kept day by day.

The modules, from the edge in:

- :mod:`~formflow.fees.values` reads one cell: an amount to the fen, a 所属期间 as YYYY-MM (pure);
- :mod:`~formflow.fees.arrears` reads an exported table into arrears items and refused rows (pure);
- :mod:`~formflow.fees.snapshots` keeps each import as a dated snapshot under ``data/archive/fees/`` (files);
- :mod:`~formflow.fees.owing` turns a snapshot and the unit register into the collector's list (pure);
- :mod:`~formflow.fees.rounds` makes a collection round: one 催缴档案 submission per unit owing, for ``inbox/``;
- :mod:`~formflow.fees.situations` says which of the office's scripts (话术) fits a record now (pure);
- :mod:`~formflow.fees.placeholders` fills ``{业主}``, ``{欠费合计}`` … with a record's figures (pure);
- :mod:`~formflow.fees.calls` turns a call's result into the workflow's action, and lists earlier calls (pure);
- :mod:`~formflow.fees.reconcile` compares open 催缴档案 with a newer list: paid up closes, partly paid is recorded;
- :mod:`~formflow.fees.promises` judges each promise to pay kept, broken or open by its date (pure).
"""
