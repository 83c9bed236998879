"""One tenant's data as a whole: its export (data portability) and its erasure (the right to
be forgotten), for admins on the REST API and operators with ``dia3 tenants``."""
