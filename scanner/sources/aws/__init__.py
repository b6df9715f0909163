"""Live AWS: collectors (one per resource family), sessions with a read-only guard, the scan."""
