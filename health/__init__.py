"""Asset health: the standards' own validators, named checks, the score and its reports.

A pure library: it reads files and returns typed verdicts, and knows no jobs, HTTP or
database, so a conversion job, a benchmark and a test all grade an asset the same way.

- :mod:`health.validators`: the glTF-Validator, OpenUSD's ARKit rules, UsdValidation.
- :mod:`health.report`: repairs, checks, score, LODs, collision hulls, physics material,
  engine readiness, and the report as JSON, PDF and thumbnail (docs/health.md).

Nothing is re-exported here: importing the validators must not pull in the renderer,
the simplifier and the PDF writer that the report needs.
"""
