"""The meshfarm client SDK: talks to a farm over its dx.gl v1 API and nothing else."""
