"""Small pieces shared by every stage: errors, atomic file writing, config saving."""
