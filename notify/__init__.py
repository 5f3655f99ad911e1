"""Alerts and subscriptions (提醒与定期推送): rules evaluated after every build, each user's alerts and outputs
built through the query door with that user's own role and scope, written to a per-user outbox and sent by
SMTP or a chat robot's webhook when configured.

- rules.py: the configured rules (config/alerts.yaml) and the conditions that hold for one user now.
- store.py: firings, read marks, subscriptions, contacts and deliveries, kept outside the snapshots in
  `<data dir>/notify/` (an append-only event file, folded into the current state).
- outputs.py: the files a subscription delivers (overdue-visit list, county brief, meeting pack, digest).
- deliver.py: evaluate, write the outbox, send by SMTP and webhook, audit every output.
- cli.py: `python -m etl notify` (run once by cron or a systemd timer), subscribe, contact.
"""
