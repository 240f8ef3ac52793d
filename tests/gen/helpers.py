"""Helper module shipped with the ``pyfunc_code_paths_params`` fixture through ``code_paths``."""


def scale(x, factor):
    return x * factor
