"""The AWS deployment of covid-etl, in AWS CDK (Python). `infra/README.md` says how to deploy it."""
