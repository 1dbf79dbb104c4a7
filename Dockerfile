# The dashboard container: ECS Fargate runs it behind the load balancer that infra/template.yaml creates.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

# MALLOC_MMAP_THRESHOLD_: buffers of 1 MiB or more are mapped and unmapped, not kept in each thread's
# malloc arena. Each session's script runs on its own thread; without it four concurrent uploads of a
# 49 MP 16-bit PNG peaked at 1.08-1.45 GB in one process, with it ~0.6 GB (tests/reliability/test_memory.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    MALLOC_MMAP_THRESHOLD_=1048576

WORKDIR /app

# A fixed uid, so file ownership is the same on every host that runs the image. Its ~/.streamlit is where
# the entrypoint writes the login secrets: the one place the app writes besides /tmp.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app \
    && install --directory --owner 10001 --mode 0700 /home/app/.streamlit

# Dependencies first, in their own layer: code changes then rebuild in seconds.
# Only the dashboard's own lock (no moto, no Powertools), every file checked against its hash; then, in the
# same layer, what no dashboard runs is removed (test suites, headers, notebook extensions): 536 -> 436 MB.
COPY requirements/dashboard.txt requirements/dashboard.txt
COPY infra/slim-packages.sh /usr/local/bin/slim-packages.sh
RUN pip install --no-cache-dir --require-hashes -r requirements/dashboard.txt \
    && slim-packages.sh "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" /usr/local/share

# Only what the dashboard runs; .dockerignore keeps secrets and local state out of the build context.
COPY .streamlit/config.toml .streamlit/config.toml
COPY core/ core/
COPY dashboard/ dashboard/
COPY infra/entrypoint.sh /usr/local/bin/entrypoint.sh
# The project's licence, and the licences of what the image installs: `make dashboard-notices` writes them
# from requirements/dashboard.txt before the build (`make deploy` does; docs/licences.md).
COPY LICENSE LICENSE
COPY dist/dashboard/THIRD_PARTY_NOTICES THIRD_PARTY_NOTICES

USER 10001
EXPOSE 8080

# The task runs with a read-only root file system; these are its writable volumes. ECS gives a volume
# mounted at a VOLUME path the image directory's owner and mode (the app's ~/.streamlit, /tmp's 1777).
VOLUME ["/tmp", "/home/app/.streamlit"]

# slim has no curl; Python is already here. ECS uses the load balancer's check, `docker run` uses this one.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/_stcore/health', timeout=4)"]

# The entrypoint turns the login settings in the environment into Streamlit's secrets file, then runs CMD.
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
# Must equal local.run.streamlit_command(8080); tests/infra/test_container.py checks it.
CMD ["python", "-m", "streamlit", "run", "dashboard/server.py", "--server.port", "8080", "--server.address", "0.0.0.0", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
