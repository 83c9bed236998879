"""Encryption of user content at rest (envelope encryption with AES-GCM)."""
