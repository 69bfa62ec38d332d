"""Controller, agent and seed images: build contexts, docker builds with streamed progress,
pushes."""

from jenkinsgen.images.build import (
    BuildResult,
    build_image,
    docker_client,
    plugins_from_bundle,
    push_image,
    push_reference,
    registry_auth,
)
from jenkinsgen.images.context import ImageInputs, Kind, assemble_context, images_root
from jenkinsgen.images.seed import SeedWheel, read_wheel

__all__ = [
    "BuildResult",
    "ImageInputs",
    "Kind",
    "SeedWheel",
    "assemble_context",
    "build_image",
    "docker_client",
    "images_root",
    "plugins_from_bundle",
    "push_image",
    "push_reference",
    "read_wheel",
    "registry_auth",
]
