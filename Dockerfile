# One image for every service of docker-compose.yml; each service gives its own command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app COVID_ETL_WEB_DIR=/app/web

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY shared ./shared
COPY services ./services
COPY covid_etl ./covid_etl
COPY web ./web

RUN useradd --create-home --uid 10001 app
USER app

EXPOSE 8080
CMD ["python", "-m", "shared.runtime", "extractor"]
