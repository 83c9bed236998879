"""API keys, roles and tenants."""
