"""The dashboard image's base, pinned by digest: `make lock` asks Docker Hub which image the Dockerfile's
tag names today and writes that digest into its FROM line, as it pins the Python packages.

The digest is the tag's multi-platform index, so `docker build --platform linux/amd64` (infra/deploy.sh)
still picks its platform's image from it. Needs only the network, no Docker engine.
"""

from __future__ import annotations

import argparse
import json
import re
import urllib.request
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"
FROM = re.compile(r"^FROM (?P<image>[a-z0-9._/-]+):(?P<tag>[\w.-]+)(?:@(?P<digest>sha256:[0-9a-f]{64}))?$",
                  re.MULTILINE)
REGISTRY = "https://registry-1.docker.io"
TOKENS = "https://auth.docker.io/token?service=registry.docker.io&scope=repository:{name}:pull"
# A multi-platform tag is an index: OCI's, or Docker's older manifest list.
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json, "
               "application/vnd.docker.distribution.manifest.list.v2+json")


def base_image(dockerfile: str) -> tuple[str, str, str | None]:
    """(image, tag, digest or None) of the Dockerfile's one FROM line."""
    (line,) = FROM.finditer(dockerfile)
    return line["image"], line["tag"], line["digest"]


def pinned(dockerfile: str, digest: str) -> str:
    """The Dockerfile with its FROM line naming `digest` beside its tag; nothing else changes."""
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise ValueError(f"{digest!r} is not an image digest (sha256:<64 hex digits>)")
    image, tag, _ = base_image(dockerfile)
    return FROM.sub(f"FROM {image}:{tag}@{digest}", dockerfile, count=1)


def current_digest(image: str, tag: str, timeout: float = 30) -> str:
    """The digest Docker Hub gives `image:tag` now (an anonymous pull token, then a HEAD of the manifest)."""
    name = image if "/" in image else f"library/{image}"  # official images live under library/
    with urllib.request.urlopen(TOKENS.format(name=name), timeout=timeout) as answer:
        token = json.load(answer)["token"]
    request = urllib.request.Request(f"{REGISTRY}/v2/{name}/manifests/{tag}", method="HEAD",
                                     headers={"Authorization": f"Bearer {token}", "Accept": INDEX_TYPES})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return str(answer.headers["Docker-Content-Digest"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=DOCKERFILE)
    path = parser.parse_args().dockerfile
    text = path.read_text()
    image, tag, before = base_image(text)
    digest = current_digest(image, tag)
    path.write_text(pinned(text, digest))
    print(f"{image}:{tag} is {digest}" + ("" if digest == before else f" (was {before})"))


if __name__ == "__main__":
    main()
