class L3CError(Exception):
    """A decoding failure with the error code of SPEC.md §2.6."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
