FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY reports ./reports
COPY migrations ./migrations
RUN pip install --no-cache-dir .
COPY config ./config
ENV EVIDENTLY_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1
EXPOSE 8000
CMD ["monitor", "serve", "--config", "config/demo.yaml", "--host", "0.0.0.0"]
