"""Run: what keeps ismon going — the daemon's schedule, stopping on signals, health checks, settings.

Where it sits: at the top of the flow, just under the CLI. It decides when the stages run (APScheduler
3.x: sweeps on their cron, gallery refreshes, outbox flushes, ads pulls), builds each stage's settings
from the whole config, and is the only package besides the CLI and the demo that sees ``Config``.

Modules (import them directly; this package re-exports nothing):

- ``daemon``: ``Daemon`` and ``run_daemon`` (``ismon daemon``);
- ``signals``: ``GracefulStop``, one way for ``ismon sweep`` and ``ismon daemon`` to stop on SIGTERM/SIGINT;
- ``checks``: ``run_checks`` (``ismon check``), one line per part a sweep needs;
- ``settings``: the builders that turn ``Config`` into what a stage receives (``ads_pull_settings``,
  ``sweep_settings``, ``alert_settings``, ``report_settings``).
"""
