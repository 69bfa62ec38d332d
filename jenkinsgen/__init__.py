"""jenkinsgen: a complete Docker delivery system on Jenkins from one YAML file.

The library is usable without the CLI: load a spec, plan it, render it, sync it.
"""

from jenkinsgen.errors import JenkinsgenError, SpecError, SpecProblem
from jenkinsgen.spec import Spec, load_spec

__version__ = "0.1.0"

__all__ = [
    "JenkinsgenError",
    "Spec",
    "SpecError",
    "SpecProblem",
    "__version__",
    "load_spec",
]
