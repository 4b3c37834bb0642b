"""Share links: one album or photo shown to whoever holds an unguessable URL, until it expires or is revoked."""
