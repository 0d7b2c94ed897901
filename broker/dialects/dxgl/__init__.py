"""The dx.gl v1 API: thin routes from dx.gl requests to meshfarm services, and back."""
