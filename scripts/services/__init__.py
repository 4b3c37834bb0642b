"""The servers scripts/stack.py starts for development and the tests: PostgreSQL and SeaweedFS."""
