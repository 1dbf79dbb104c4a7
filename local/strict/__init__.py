"""The emulator's strictness layers: WSGI middleware in front of moto that refuses what AWS refuses and
fails the way AWS fails (see docs/local-aws.md)."""
