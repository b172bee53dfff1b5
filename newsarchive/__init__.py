"""newsarchive: keep the record of how news stories change after publication."""

__version__ = "0.1.0"
