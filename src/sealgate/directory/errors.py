class DirectoryError(Exception):
    """A directory request cannot be carried out (unknown or duplicate name)."""
