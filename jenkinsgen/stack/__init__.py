"""A whole delivery stack from a scaffold: ``jenkinsgen init``, ``up`` and ``down``.

::

    layout      what a stack directory holds; the secrets by name
    settings    .env: ports, bind address, images, the Docker socket's group
    example     the spec ``init`` writes (every block, wired to the stack)
    plugins     the plugins a spec's jobs and the stack's casc need
    secrets     CSPRNG secrets and the registry's bcrypt htpasswd
    compose     compose.yaml from the spec
    controller  the controller's casc: credentials from the secrets, local agents
    scaffold    init: write what is missing, never replace a file
    checks      up's checks that the files fit together (spec problems located)
    build       the plugin bundle and the images
    wheel       a wheel of the running jenkinsgen (for the seed/receiver image)
    runner      docker compose (v2) or docker-compose (v1)
    ready       waiting until each part answers
    up          up and down

Nothing here starts a process or a container on its own: the CLI decides (``up`` runs
compose and builds images through the Docker client it is given).
"""

from jenkinsgen.stack.scaffold import InitOptions, InitReport, init_stack
from jenkinsgen.stack.settings import Ports, Settings

__all__ = ["InitOptions", "InitReport", "Ports", "Settings", "init_stack"]
