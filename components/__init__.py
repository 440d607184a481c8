"""UI building blocks: no SQL, no business rules."""
