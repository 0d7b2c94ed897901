"""Business logic behind the routers: each function runs inside the caller's transaction."""
