# ClipForge: one image for the API, the workers and the migration job.
#   docker build -t clipforge:0.1.0 .
#   docker run clipforge:0.1.0 api | worker [--queue NAME] | db upgrade | queues | users ...
# ffmpeg, the Whisper base model and the caption font come with the Python packages, so the
# image needs no system packages beyond python:3.11-slim.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (exact versions), so a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY clipforge ./clipforge
RUN pip install --no-deps . && rm -rf /app/clipforge /app/build

# Unprivileged user; /data holds the embedded state (unused with PostgreSQL, Redis and S3
# configured) and the assembled speech model. Temporary work files go to /tmp.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/clipforge clipforge \
    && mkdir -p /data \
    && chown clipforge:clipforge /data

ENV CLIPFORGE_DATA_DIR=/data \
    CLIPFORGE_API_HOST=0.0.0.0 \
    CLIPFORGE_API_PORT=8000 \
    CLIPFORGE_LOG_FORMAT=json

USER 10001:10001
EXPOSE 8000

# Liveness of the API process (touches no dependency). Worker containers override it: they
# serve no HTTP API (see docker-compose.yml and deploy/k8s/worker-deployment.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]

ENTRYPOINT ["clipforge"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
