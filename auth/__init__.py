"""Access control: local users with argon2 hashes, roles and their pages, the audit log (权限与审计)."""
