"""A deployment rehearsed without an account (`make rehearse`): the template expanded by SAM's translator and
created as a stack in the local AWS's CloudFormation, the pipeline run against what it created under the roles
it created, the stack updated and deleted. docs/deploying.md, "Rehearsing a deployment", says what it checks
and what it cannot."""
