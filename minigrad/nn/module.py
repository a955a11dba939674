"""Module and Parameter."""


class Module:
    pass


class Parameter:
    pass
