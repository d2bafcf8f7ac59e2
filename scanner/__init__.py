import logging

__version__ = "0.1.0"

# Library convention: the "rempart" logger is silent unless the application configures logging
# (probe crashes are recorded there with their traceback; tests assert none happens).
logging.getLogger("rempart").addHandler(logging.NullHandler())
