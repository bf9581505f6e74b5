FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY reports ./reports
COPY migrations ./migrations
RUN pip install --no-cache-dir .
COPY config ./config
# The service runs as an unprivileged user that owns only its data directory.
RUN useradd --system --uid 10001 --home-dir /app --no-create-home monitor \
    && mkdir -p /app/data && chown monitor /app/data
USER monitor
ENV EVIDENTLY_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1 MONITOR_AUTH_ENABLED=true
EXPOSE 8000
# Beyond the loopback interface access control is on: create the first admin key with
# `monitor apikey create --name admin --scope admin --config config/demo.yaml` (docs/security.md).
CMD ["monitor", "serve", "--config", "config/demo.yaml", "--host", "0.0.0.0"]
