"""Sign-in at the gateway: local accounts, OpenID Connect, access and refresh tokens, the
JWKS, machine clients and the audit of it all (``install`` wires it into the app)."""
