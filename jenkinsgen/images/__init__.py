"""Controller and agent images: build contexts, docker builds with streamed progress, pushes."""

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

__all__ = [
    "BuildResult",
    "ImageInputs",
    "Kind",
    "assemble_context",
    "build_image",
    "docker_client",
    "images_root",
    "plugins_from_bundle",
    "push_image",
    "push_reference",
    "registry_auth",
]
