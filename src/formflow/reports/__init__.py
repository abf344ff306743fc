"""The reports the work manual asks for: figures computed from the records, printed as PDF and CSV.

* :mod:`~formflow.reports.callbacks` — the monthly callback summary (回访率, 按时率, 满意度, 返工);
* :mod:`~formflow.reports.survey` — the yearly owner-opinion-survey analysis (回收率, 各项满意率);
* :mod:`~formflow.reports.deadlines` — the monthly deadline report (按时 / 逾期 per form and clock).
* :mod:`~formflow.reports.fees` — the monthly fee collection report (接通率, 承诺兑现, 收回金额, 收缴率), printed by
  :mod:`~formflow.reports.feespages` (template ``report_fees.html``; also as .xlsx).

Those three are pure (records, definitions, a period and ``now`` in; dataclasses out);
:mod:`~formflow.reports.tables` and :mod:`~formflow.reports.pages` turn the figures into the CSV
and the PDF (templates ``report_*.html``), and ``formflow report …`` (cli/reports.py) writes them.
"""
