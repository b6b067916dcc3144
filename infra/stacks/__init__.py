"""CDK stacks and constructs of covid-etl."""
