# One image for all four Partnership Pulse services (intake, reviews, training, reporting).
# The service is chosen at run time: `docker run IMAGE run reviews` (default: `run intake`).
#
# Needs BuildKit (the default builder since Docker 23) for the uv cache mounts.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: resolve the locked dependencies into /app/.venv -------------------------------
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, from the lock file alone, so that a change to the source does not
# invalidate this (slow) layer.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself, installed as a wheel (not editable): the runtime stage needs only
# the virtual environment. README.md is read by the build backend (project metadata).
COPY README.md ./
COPY shared/ shared/
COPY services/ services/
COPY ops/ ops/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# --- runtime: the virtual environment on a clean base, run as a non-root user -------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="partnership-pulse" \
      org.opencontainers.image.description="Partnership Pulse services: intake, reviews, training, reporting"

RUN groupadd --system --gid 10001 pulse \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin pulse

# Owned by root and read-only for the service user: the code cannot be changed at run time.
COPY --from=build /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0

WORKDIR /app
USER 10001:10001

EXPOSE 8001 8002 8003 8004

# /health answers 200 only when Kafka and the database answer. The port is HTTP_PORT if set,
# else the service's default port, found from the command line of PID 1 (`pulse run NAME`).
# No curl in the slim image: plain urllib, which raises (exit 1) on a 503 or no answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; args = open('/proc/1/cmdline', 'rb').read().split(bytes(1)); ports = {b'intake': 8001, b'reviews': 8002, b'training': 8003, b'reporting': 8004}; port = os.environ.get('HTTP_PORT') or next((ports[a] for a in args if a in ports), 8001); urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4)"]

ENTRYPOINT ["pulse"]
CMD ["run", "intake"]
