"""What the web routes, the CLI and the scheduler call, and the types they return."""
