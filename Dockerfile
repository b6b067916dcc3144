# A runtime image per service of docker-compose.yml: `docker build --target <name> .` with <name> one
# of extractor, transformer, loader, notifier, api, and ops (provision and the CLI). Each holds its
# own dependencies only: the Lambda layers' pinned sets (infra/layers/: base for all, data for the
# transformer, web for the API) plus what Lambda's runtime gives a function and a container lacks
# (docker/requirements/: boto3; aiobotocore for the workers; gunicorn for the API). No moto, cfn-lint
# or docker SDK: those are the development environment's (requirements-local.lock, requirements-dev.lock).
# Python 3.12 as in Lambda, the base pinned by digest (python:3.12-slim, Debian, amd64 and arm64),
# a non-root user. Build stages install wheels; runtime stages copy the installed packages only.
ARG PYTHON_IMAGE=python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

# -- build: each dependency set installed under /install (wheels only: slim has no compiler) ------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /req
COPY requirements.lock ./
COPY infra/layers/ ./layers/
COPY docker/requirements/ ./
# Each set below: -c requirements.lock, so a dependency missing from a set's files still installs at
# the lock's version; --prefix=/install, the folder a runtime stage copies to /usr/local.

FROM build AS deps-worker
RUN pip install --only-binary=:all: --prefix=/install -c requirements.lock -r layers/base.txt -r aws.txt -r worker.txt

FROM build AS deps-transformer
RUN pip install --only-binary=:all: --prefix=/install -c requirements.lock -r layers/base.txt -r layers/data.txt -r aws.txt -r worker.txt

FROM build AS deps-api
RUN pip install --only-binary=:all: --prefix=/install -c requirements.lock -r layers/base.txt -r layers/web.txt -r aws.txt -r api.txt

FROM build AS deps-ops
RUN pip install --only-binary=:all: --prefix=/install -c requirements.lock -r layers/base.txt -r aws.txt

# -- runtime: what every service shares; the code of one service is added by its own stage --------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY shared ./shared
COPY services/__init__.py ./services/

FROM runtime AS extractor
COPY --from=deps-worker /install /usr/local
COPY services/extractor ./services/extractor
USER 10001
CMD ["python", "-m", "shared.runtime", "extractor"]

FROM runtime AS transformer
COPY --from=deps-transformer /install /usr/local
COPY services/transformer ./services/transformer
USER 10001
CMD ["python", "-m", "shared.runtime", "transformer"]

FROM runtime AS loader
COPY --from=deps-worker /install /usr/local
COPY services/loader ./services/loader
USER 10001
CMD ["python", "-m", "shared.runtime", "loader"]

FROM runtime AS notifier
COPY --from=deps-worker /install /usr/local
COPY services/notifier ./services/notifier
USER 10001
CMD ["python", "-m", "shared.runtime", "notifier"]

FROM runtime AS api
ENV COVID_ETL_WEB_DIR=/app/web
COPY --from=deps-api /install /usr/local
COPY services/api ./services/api
COPY web ./web
USER 10001
EXPOSE 8080
CMD ["gunicorn", "--bind", "0.0.0.0:8080", "--workers", "2", "--access-logfile", "-", "services.api.app:create_app()"]

# provision (creates the resources on the emulators) and the CLI (`covid_etl.cli run --wait`, replay,
# status): covid_etl imports moto only for `covid-etl up`, which never runs in a container.
FROM runtime AS ops
COPY --from=deps-ops /install /usr/local
COPY covid_etl ./covid_etl
USER 10001
CMD ["python", "-m", "covid_etl.cli", "status"]
