"""Email: parsing inbound MIME, turning it into tickets and replies, and mail Tessera sends."""
