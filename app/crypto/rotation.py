"""Rotating the master key of the encryption at rest, online and audited.

Only the data keys are re-wrapped (a few records), never the data. Two steps, so that no
process is ever without a key that works: :func:`rotate_master` wraps every data key under
the new master key as well; the operator then gives every process the new key (a rolling
restart); :func:`forget_previous` drops the old wrappings, after which the old key opens
nothing.
"""

from __future__ import annotations

from app import audit
from app.auth.keys import Principal
from app.crypto.envelope import Envelope
from app.crypto.master import master_id


def rotate_master(envelope: Envelope, new: bytes, actor: Principal = audit.OPERATOR) -> int:
    """Wrap every data key under ``new`` too; audited as ``keys.rotate_master``."""
    if envelope.master is None:
        raise ValueError("encryption at rest is off: there is no master key to rotate "
                         "(set DIA3_ENCRYPTION_KEY to the current key)")
    if new == envelope.master:
        raise ValueError("the new master key is the current one")
    with audit.audited("keys.rotate_master", actor, f"master-key:{master_id(new)}",
                       previous=master_id(envelope.master)) as entry:
        done = envelope.rewrap(envelope.master, new)
        entry.detail["data_keys"] = done
        return done


def forget_previous(envelope: Envelope, actor: Principal = audit.OPERATOR) -> int:
    """Drop the wrappings under the previous master key; audited as
    ``keys.forget_previous_master``."""
    if envelope.master is None:
        raise ValueError("encryption at rest is off (set DIA3_ENCRYPTION_KEY to the new key)")
    with audit.audited("keys.forget_previous_master", actor,
                       f"master-key:{master_id(envelope.master)}") as entry:
        done = envelope.forget_previous()
        entry.detail["data_keys"] = done
        return done
