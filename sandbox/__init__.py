"""Local stand-ins for outside services, for development, demos and tests."""
