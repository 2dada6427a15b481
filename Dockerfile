# syntax=docker/dockerfile:1
# The Coralogix incident bot: `docker build -t incident-bot .`, then
#   docker run -p 3000:3000 -v incident-bot-data:/data --env-file bot.env incident-bot
# (bot.env, from examples/bot.env, holds SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, CORALOGIX_API_KEY, ...;
# see README.md, "Installing for real").

# ---- builder: build the wheel and install it with its dependencies into a virtualenv -------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv

# pyproject.toml names README.md as the package's readme, so the build needs it
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install /wheels/*.whl

# ---- runtime: the virtualenv on a slim Python, run as an unprivileged user -------------------------------
FROM python:3.11-slim AS runtime

RUN groupadd --system --gid 10001 incidentbot \
    && useradd --system --uid 10001 --gid incidentbot --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin incidentbot \
    && mkdir -p /data \
    && chown incidentbot:incidentbot /data

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOT_DATABASE_URL=sqlite:////data/incident-bot.db \
    BOT_HTTP_HOST=0.0.0.0 \
    BOT_HTTP_PORT=3000 \
    BOT_LOG_FORMAT=json

# the SQLite database (the default); with PostgreSQL (BOT_DATABASE_URL) nothing is written here
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

EXPOSE 3000

# slim images have no curl: ask /healthz with Python's urllib (a non-2xx answer or no answer exits 1)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BOT_HTTP_PORT', '3000'), timeout=4)"]

ENTRYPOINT ["incident-bot"]
CMD ["run"]
